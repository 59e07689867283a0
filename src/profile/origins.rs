//! Where every field of a merged profile was written: the layer (file of the `extends` chain)
//! and the position in it. Loading records it; validation, CRD bundles, overlays and the Argo CD
//! plugin use it to point at the line that holds a mistake, even after the layers are merged.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use serde_json::Value;

use crate::core::diagnostic::{Diagnostic, Label};
use crate::core::pointer;
use crate::core::source::SourceFile;
use crate::core::structural::Locate;
use crate::core::yaml::Loc;

/// One file of an `extends` chain.
#[derive(Debug, Clone)]
pub struct Layer {
    /// Its text and positions; named by the path as reached from the working directory, or
    /// `builtin:NAME`.
    pub source: SourceFile,
    /// Directory its relative paths resolve against (`None` for built-ins: they name no files).
    pub dir: Option<PathBuf>,
}

/// A field's origin: which layer, and where in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
struct Origin {
    layer: usize,
    loc: Loc,
}

/// For every JSON Pointer of the merged profile, where its key and value were written.
#[derive(Debug, Clone, Default)]
pub struct Origins {
    /// Ancestors first: the order they were merged in.
    pub layers: Vec<Layer>,
    keys: BTreeMap<String, Origin>,
    values: BTreeMap<String, Origin>,
}

impl Origins {
    /// Records the positions of a layer merged as `value` on top of the previous ones.
    pub fn add_layer(&mut self, layer: Layer, value: &Value) {
        let index = self.layers.len();
        // What this layer replaces (scalars, lists, nulls) forgets the parent's positions below.
        forget_replaced(self, value, &mut String::new());
        let positions = &layer.source.positions;
        for (map, own) in [
            (&mut self.keys, &positions.keys),
            (&mut self.values, &positions.values),
        ] {
            map.extend(own.iter().map(|(pointer, loc)| {
                (
                    pointer.clone(),
                    Origin {
                        layer: index,
                        loc: *loc,
                    },
                )
            }));
        }
        self.layers.push(layer);
    }

    fn lookup(&self, pointer: &str, prefer_value: bool) -> Option<Origin> {
        let mut current = pointer;
        loop {
            let found = if prefer_value {
                self.values.get(current).or_else(|| self.keys.get(current))
            } else {
                self.keys.get(current).or_else(|| self.values.get(current))
            };
            if let Some(origin) = found {
                return Some(*origin);
            }
            current = &current[..current.rfind('/')?];
        }
    }

    /// The label of the value at `pointer` (or the nearest thing written above it).
    pub fn label_value(&self, pointer: &str) -> Option<Label> {
        self.label(self.lookup(pointer, true))
    }

    /// A diagnostic pointing at the value at `pointer` (or the nearest thing written above it).
    pub fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        match self.label_value(pointer) {
            Some(label) => diagnostic.at(label),
            None => diagnostic,
        }
    }

    /// A diagnostic pointing at the key of the entry at `pointer`.
    pub fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        match self.label(self.lookup(pointer, false)) {
            Some(label) => diagnostic.at(label),
            None => diagnostic,
        }
    }

    fn label(&self, origin: Option<Origin>) -> Option<Label> {
        match origin {
            Some(origin) => Some(self.layers[origin.layer].source.label(origin.loc)),
            // Nothing written there (a default): the file the user named.
            None => self.layers.last().map(|layer| Label {
                file: layer.source.name.clone(),
                ..Label::file("")
            }),
        }
    }

    /// Directory the layer that wrote `pointer` resolves relative paths against.
    pub fn dir_of(&self, pointer: &str) -> Option<&Path> {
        let origin = self.lookup(pointer, true)?;
        self.layers[origin.layer].dir.as_deref()
    }
}

impl Locate for Origins {
    fn at_key(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        Origins::at_key(self, pointer, diagnostic)
    }

    fn at_value(&self, pointer: &str, diagnostic: Diagnostic) -> Diagnostic {
        Origins::at_value(self, pointer, diagnostic)
    }
}

fn forget_replaced(origins: &mut Origins, value: &Value, at: &mut String) {
    match value {
        Value::Object(map) => {
            for (key, child) in map {
                let len = at.len();
                pointer::push(at, key);
                forget_replaced(origins, child, at);
                at.truncate(len);
            }
        }
        _ => {
            remove_subtree(&mut origins.keys, at);
            remove_subtree(&mut origins.values, at);
        }
    }
}

/// Removes `at` and every pointer below it. Pointers below `at` start with `at/` and so form
/// one range of the sorted map (`/` sorts just before `0`): no scan of the whole map.
fn remove_subtree(map: &mut BTreeMap<String, Origin>, at: &str) {
    map.remove(at);
    let below: Vec<String> = map
        .range(format!("{at}/")..format!("{at}0"))
        .map(|(pointer, _)| pointer.clone())
        .collect();
    for pointer in below {
        map.remove(&pointer);
    }
}
