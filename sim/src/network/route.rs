//! Who talks to whom: keys to workers (or log partitions), and the input
//! channels each worker reads. Shared with `workers`, which must agree with
//! the network on channel numbering.

use super::config::NetConfig;

/// A fixed 64-bit mix of the key index (SplitMix64's finaliser). Never
/// std's `RandomState`, which would differ between runs.
pub fn key_hash(key: u64) -> u64 {
    let mut z = key.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}

/// The resolved shape of the simulated deployment.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topology {
    /// Sources in the workload.
    pub sources: u32,
    /// Engine workers.
    pub workers: u32,
    /// Durable log partitions, when there is a log.
    pub log_partitions: Option<u32>,
}

impl Topology {
    /// The topology `config` describes for `sources` sources.
    pub fn new(config: &NetConfig, sources: u32) -> Topology {
        Topology {
            sources,
            workers: config.workers.max(1),
            log_partitions: config.log_partitions,
        }
    }

    /// The log partition of `key` (only meaningful with a log).
    pub fn partition_of(&self, key: u64) -> u32 {
        let p = u64::from(self.log_partitions.unwrap_or(1).max(1));
        (key_hash(key) % p) as u32
    }

    /// The worker that owns `key`: `hash(key) % workers` without a log;
    /// with one, the worker reading the key's partition.
    pub fn worker_of(&self, key: u64) -> u32 {
        match self.log_partitions {
            None => (key_hash(key) % u64::from(self.workers)) as u32,
            Some(_) => self.worker_of_partition(self.partition_of(key)),
        }
    }

    /// Partitions are dealt to workers round-robin.
    pub fn worker_of_partition(&self, partition: u32) -> u32 {
        partition % self.workers
    }

    /// Channel numbers are global: a source index without a log, a
    /// partition index with one. `Trace::channels` is their count.
    pub fn channels(&self) -> u32 {
        self.log_partitions.unwrap_or(self.sources)
    }

    /// The global channels feeding `worker`, ascending. Every worker reads
    /// every source directly; with a log it reads only its partitions.
    pub fn worker_channels(&self, worker: u32) -> Vec<u32> {
        match self.log_partitions {
            None => (0..self.sources).collect(),
            Some(p) => (0..p)
                .filter(|&q| self.worker_of_partition(q) == worker)
                .collect(),
        }
    }

    /// Name of worker `w` in fault decisions (`ack ... to worker-3 lost`).
    pub fn worker_name(w: u32) -> String {
        format!("worker-{w}")
    }

    /// Turmoil host name of the ingress host that receives for every
    /// worker (see `worker`). One host, not one per worker: turmoil visits
    /// every link from every host on every tick, so a host per worker made
    /// each tick cost workers² × source groups.
    pub const WORKERS: &'static str = "workers";

    /// Turmoil host name of the log.
    pub const LOG: &'static str = "log";
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn key_hash_is_pinned() {
        // Changing the hash reroutes every key and changes every snapshot.
        assert_eq!(key_hash(0), 0xe220_a839_7b1d_cdaf);
    }

    #[test]
    fn with_a_log_each_worker_reads_its_partitions() {
        let t = Topology {
            sources: 3,
            workers: 2,
            log_partitions: Some(5),
        };
        assert_eq!(t.worker_channels(0), vec![0, 2, 4]);
        assert_eq!(t.worker_channels(1), vec![1, 3]);
        for key in 0..100 {
            let w = t.worker_of(key);
            assert!(t.worker_channels(w).contains(&t.partition_of(key)));
        }
    }
}
