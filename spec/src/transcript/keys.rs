//! Transcript keys are strings; the engine's are numbers. Keys are numbered
//! in order of first appearance so runs are deterministic.

use std::collections::HashMap;
use tidemark_engine::Key;

/// The two-way map between a transcript's key names and engine keys.
#[derive(Debug, Clone, Default)]
pub struct Keys {
    names: Vec<String>,
    ids: HashMap<String, u64>,
}

impl Keys {
    /// The engine key for `name`, assigning the next number on first sight.
    pub fn intern(&mut self, name: &str) -> Key {
        if let Some(&id) = self.ids.get(name) {
            return Key(id);
        }
        let id = self.names.len() as u64;
        self.names.push(name.to_owned());
        self.ids.insert(name.to_owned(), id);
        Key(id)
    }

    /// The engine key for `name`, if an input used it.
    #[must_use]
    pub fn lookup(&self, name: &str) -> Option<Key> {
        self.ids.get(name).map(|&id| Key(id))
    }

    /// The name of an engine key. Every key the engine reports came from an
    /// input, so the fallback is never printed in practice.
    #[must_use]
    pub fn name(&self, key: Key) -> &str {
        usize::try_from(key.0)
            .ok()
            .and_then(|i| self.names.get(i))
            .map_or("?", String::as_str)
    }
}
