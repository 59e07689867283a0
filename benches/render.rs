//! Render speed: the full default render in-process (load the built-in profile, render, finish,
//! serialise), and the scaling with the number of app namespaces (10, 100, 1,000).
//! Run: `cargo bench --bench render`.

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, criterion_group, criterion_main};

use meshgen::emit;
use meshgen::finish;
use meshgen::model::Model;
use meshgen::paths::ProjectRoot;
use meshgen::pipeline;
use meshgen::profile::{MeshProfile, ProfileSource};
use meshgen::render;

fn default_render(c: &mut Criterion) {
    let root = ProjectRoot::new(Path::new(env!("CARGO_MANIFEST_DIR"))).unwrap();
    let source = ProfileSource::Builtin("default".into());
    c.bench_function("render default (load + render + finish + stream)", |b| {
        b.iter(|| {
            let rendered = pipeline::render(black_box(&source), &root).unwrap();
            black_box(emit::stream(&rendered.resources))
        })
    });
}

fn app_namespaces(c: &mut Criterion) {
    let mut group = c.benchmark_group("render with N app namespaces");
    for count in [10, 100, 1000] {
        let mut profile = MeshProfile::default();
        profile.spec.knative.app_namespaces = (0..count).map(|i| format!("app-{i:04}")).collect();
        group.bench_with_input(
            BenchmarkId::from_parameter(count),
            &profile,
            |b, profile| {
                b.iter(|| {
                    let model = Model::from_profile(black_box(profile));
                    let resources = render::render(&model).unwrap();
                    let resources = finish::finish(resources, &profile.spec.gitops.argocd).unwrap();
                    black_box(emit::stream(&resources))
                })
            },
        );
    }
    group.finish();
}

criterion_group!(benches, default_render, app_namespaces);
criterion_main!(benches);
