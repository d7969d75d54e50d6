//! Host names as a scenario writes them (a source, a source group,
//! `engine`, `log`) resolved to the simulated endpoints they cover.

use super::route::Topology;
use crate::scenario::{ENGINE_HOST, LOG_HOST};
use anyhow::{bail, Result};
use std::collections::BTreeMap;

/// One simulated host.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Endpoint {
    /// Source by index.
    Source(u32),
    /// Engine worker by index.
    Worker(u32),
    /// The durable log.
    Log,
}

impl Endpoint {
    /// Its turmoil host name. Sources get `src-N` so that no scenario name
    /// can collide with `log` or `worker-N`.
    pub fn host(self) -> String {
        match self {
            Endpoint::Source(s) => format!("src-{s}"),
            Endpoint::Worker(w) => Topology::worker_name(w),
            Endpoint::Log => Topology::LOG.to_string(),
        }
    }
}

/// Name → sources, for every source and source group.
#[derive(Debug, Clone)]
pub struct Names {
    sources: BTreeMap<String, Vec<u32>>,
    topo: Topology,
}

impl Names {
    /// `source_names` by index; `groups` as (group name, its sources).
    pub fn new(source_names: &[String], groups: &[(String, Vec<u32>)], topo: Topology) -> Names {
        let mut sources: BTreeMap<String, Vec<u32>> = BTreeMap::new();
        for (i, n) in source_names.iter().enumerate() {
            sources.entry(n.clone()).or_default().push(i as u32);
        }
        for (g, members) in groups {
            let e = sources.entry(g.clone()).or_default();
            e.extend(members);
            e.sort_unstable();
            e.dedup();
        }
        Names { sources, topo }
    }

    /// The endpoints `name` covers, ascending.
    pub fn resolve(&self, name: &str) -> Result<Vec<Endpoint>> {
        if name == ENGINE_HOST {
            return Ok((0..self.topo.workers).map(Endpoint::Worker).collect());
        }
        if name == LOG_HOST {
            if self.topo.log_partitions.is_none() {
                bail!("host `log` named, but the scenario has no log");
            }
            return Ok(vec![Endpoint::Log]);
        }
        match self.sources.get(name) {
            Some(s) => Ok(s.iter().map(|&i| Endpoint::Source(i)).collect()),
            None => bail!("unknown host `{name}`"),
        }
    }
}
