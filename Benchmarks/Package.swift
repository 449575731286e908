// swift-tools-version:6.2
import PackageDescription

// The benchmarks of module-controller, in a package of their own so that the main package and
// `swift test` do not depend on the benchmark package. Run with `swift package benchmark` here.
let package = Package(
    name: "module-controller-benchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        // `name:` lets the targets below say `package: "module-controller"` whatever the checkout's folder is called.
        .package(name: "module-controller", path: ".."),
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
    ],
    targets: [
        .executableTarget(
            name: "ScaleBenchmarks",
            dependencies: [
                .product(name: "Benchmark", package: "benchmark"),
                .product(name: "ScaleScenario", package: "module-controller"),
            ],
            path: "Benchmarks/ScaleBenchmarks",
            plugins: [
                .plugin(name: "BenchmarkPlugin", package: "benchmark"),
            ]
        ),
    ]
)
