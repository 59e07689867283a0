//! Render speed: the full default render in-process (load the built-in profile, render, finish,
//! validate, analyze, serialise), and the scaling with the number of app namespaces — 10, 1,000,
//! 10,000 and 50,000, which must cost in proportion (issue #9: the analyzers were quadratic).
//! Run: `cargo bench --bench render` (the 50,000 case takes a few minutes).

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use meshgen::core::paths::ProjectRoot;
use meshgen::emit;
use meshgen::pipeline;
use meshgen::profile::ProfileSource;

fn default_render(c: &mut Criterion) {
    let root = ProjectRoot::new(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let source = ProfileSource::Builtin("default".into());
    c.bench_function("render default (whole pipeline + stream)", |b| {
        b.iter(|| {
            let loaded = pipeline::load_profile(black_box(&source), &root).unwrap();
            let rendered = pipeline::render(loaded, &root, &[]).unwrap();
            black_box(emit::stream(&rendered.resources))
        })
    });
}

/// A profile file with `count` app namespaces, in a scratch project root.
fn namespaces_profile(count: usize) -> tempfile::TempDir {
    let dir = tempfile::tempdir().unwrap();
    let mut text = String::from(
        "apiVersion: meshgen.dev/v1alpha1\nkind: MeshProfile\nextends: default\nspec:\n  knative:\n    appNamespaces:\n",
    );
    for i in 0..count {
        text.push_str(&format!("    - app-{i:05}\n"));
    }
    std::fs::write(dir.path().join("meshgen.yaml"), text).unwrap();
    dir
}

fn app_namespaces(c: &mut Criterion) {
    let mut group = c.benchmark_group("render with N app namespaces");
    group.sample_size(10);
    for count in [10, 1_000, 10_000, 50_000] {
        // Ten samples of the large sets need more than criterion's default five seconds.
        group.measurement_time(std::time::Duration::from_secs(match count {
            50_000 => 120,
            10_000 => 30,
            _ => 5,
        }));
        let dir = namespaces_profile(count);
        let root = ProjectRoot::new(dir.path()).unwrap();
        let source = ProfileSource::Path(dir.path().join("meshgen.yaml"));
        group.bench_with_input(BenchmarkId::from_parameter(count), &source, |b, source| {
            b.iter(|| {
                let loaded = pipeline::load_profile(black_box(source), &root).unwrap();
                let rendered = pipeline::render(loaded, &root, &[]).unwrap();
                black_box(emit::stream(&rendered.resources))
            })
        });
    }
    group.finish();
}

criterion_group!(benches, default_render, app_namespaces);
criterion_main!(benches);
