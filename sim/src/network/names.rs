//! Host names as a scenario writes them (a source, a source group,
//! `engine`, `log`) resolved to the simulated endpoints they cover, and the
//! turmoil hosts those endpoints live on (one per source group, one for
//! every worker together, and the log).

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
    /// Its turmoil host's name: the group host for a source, the one
    /// ingress host for every worker.
    pub fn host(self, hosts: &Hosts) -> String {
        match self {
            Endpoint::Source(s) => Hosts::name(hosts.host_of(s)),
            Endpoint::Worker(_) => Topology::WORKERS.to_string(),
            Endpoint::Log => Topology::LOG.to_string(),
        }
    }
}

/// The turmoil hosts that run the sources: one per source group, so that
/// the per-tick cost of a fleet of phones is one host, not one per phone.
/// Sources in no group (hand-built configurations; a scenario puts every
/// source in the group of its `sources:` entry) share one host too, as if
/// they were one more group: a host per source cost a turmoil tick each
/// (a fifth of a 10,000-event seed's time for four sources) and changed no
/// trace, since every sender applies faults, latency and loss per message
/// itself, whatever host it runs on.
#[derive(Debug, Clone)]
pub struct Hosts {
    /// Each host's sources, ascending.
    pub members: Vec<Vec<u32>>,
    host_of: Vec<u32>,
}

impl Hosts {
    /// Hosts for `sources` sources under `groups` (first group wins for a
    /// source listed twice; indices out of range are ignored).
    pub fn new(sources: u32, groups: &[(String, Vec<u32>)]) -> Hosts {
        const NONE: u32 = u32::MAX;
        let mut host_of = vec![NONE; sources as usize];
        let mut members: Vec<Vec<u32>> = Vec::new();
        for (_, group) in groups {
            let mut mine: Vec<u32> = group
                .iter()
                .copied()
                .filter(|&s| host_of.get(s as usize) == Some(&NONE))
                .collect();
            mine.sort_unstable();
            mine.dedup();
            if mine.is_empty() {
                continue;
            }
            for &s in &mine {
                host_of[s as usize] = members.len() as u32;
            }
            members.push(mine);
        }
        let ungrouped: Vec<u32> = (0..sources)
            .filter(|&s| host_of[s as usize] == NONE)
            .collect();
        if !ungrouped.is_empty() {
            for &s in &ungrouped {
                host_of[s as usize] = members.len() as u32;
            }
            members.push(ungrouped);
        }
        Hosts { members, host_of }
    }

    /// How many sources the hosts serve.
    pub fn sources(&self) -> u32 {
        self.host_of.len() as u32
    }

    /// The host of source `s` (`s < sources()`).
    pub fn host_of(&self, s: u32) -> u32 {
        self.host_of[s as usize]
    }

    /// Turmoil name of group host `h`: `grp-N`, which can't collide with
    /// `log` or `workers` (turmoil names never come from the scenario).
    pub fn name(h: u32) -> String {
        format!("grp-{h}")
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
