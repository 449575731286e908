// swift-tools-version:6.2
import PackageDescription

/// Settings every target of ours builds with: Swift 6 language mode is the default of this tools
/// version; these make strict concurrency and explicit `any` the rule.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
]

let package = Package(
    name: "module-controller",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "module-controller", targets: ["module-controller"]),
        .executable(name: "base-simulator", targets: ["base-simulator"]),
        .library(name: "KubeClient", targets: ["KubeClient"]),
        .library(name: "KubeRuntime", targets: ["KubeRuntime"]),
        .library(name: "KubeTestServer", targets: ["KubeTestServer"]),
        .library(name: "Arklet", targets: ["Arklet"]),
        // The scale scenario, for Benchmarks/ and the `scale-scenario` executable.
        .library(name: "ScaleScenario", targets: ["ScaleScenario"]),
        .executable(name: "scale-scenario", targets: ["scale-scenario"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-collections.git", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-async-algorithms.git", from: "1.1.4"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        // System libraries, each behind a tiny C shim (libcurl's setopt/getinfo are variadic).
        .target(name: "CCurl", linkerSettings: [.linkedLibrary("curl")]),
        .target(name: "CMosquitto", linkerSettings: [.linkedLibrary("mosquitto")]),

        .target(
            name: "CurlHTTP",
            dependencies: [
                "CCurl",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KubeClient",
            dependencies: [
                "CurlHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KubeRuntime",
            dependencies: [
                "KubeClient",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "DequeModule", package: "swift-collections"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "KubeTestServer",
            dependencies: [
                "KubeClient",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "Arklet",
            dependencies: [
                "CMosquitto",
                "CCurl",
                "CurlHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "VirtualKubelet",
            dependencies: [
                "KubeClient",
                "KubeRuntime",
                "Arklet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "BaseSimulation",
            dependencies: [
                "Arklet",
                "CurlHTTP",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "kube-test-server",
            dependencies: [
                "KubeTestServer",
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "base-simulator",
            dependencies: [
                "Arklet",
                "BaseSimulation",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ModuleDeployments",
            dependencies: [
                "KubeClient",
                "KubeRuntime",
                "Arklet",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "ModuleControllerApp",
            dependencies: [
                "VirtualKubelet",
                "ModuleDeployments",
                "KubeClient",
                "KubeRuntime",
                "Arklet",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "module-controller",
            dependencies: [
                "ModuleControllerApp",
                "KubeClient",
                "KubeRuntime",
                "Arklet",
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .target(
            name: "MosquittoTestSupport",
            swiftSettings: strict
        ),
        .target(
            name: "ScaleScenario",
            dependencies: [
                "VirtualKubelet", "BaseSimulation", "Arklet", "KubeClient", "KubeTestServer", "MosquittoTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "scale-scenario",
            dependencies: [
                "ScaleScenario",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        .testTarget(
            name: "KubeClientTests",
            dependencies: ["KubeClient", "CurlHTTP", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ArkletTests",
            dependencies: [
                "Arklet",
                "MosquittoTestSupport",
                "BaseSimulation",
                "CurlHTTP",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Metrics", package: "swift-metrics"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KubeRuntimeTests",
            dependencies: ["KubeRuntime", "KubeClient"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KubeTestServerTests",
            dependencies: [
                "KubeTestServer",
                "KubeClient",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ModuleDeploymentsTests",
            dependencies: ["ModuleDeployments", "KubeClient", "KubeRuntime", "KubeTestServer", "Arklet",
                .product(name: "Logging", package: "swift-log")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "VirtualKubeletTests",
            dependencies: [
                "VirtualKubelet",
                "MosquittoTestSupport",
                "CurlHTTP",
                "KubeTestServer",
                "KubeClient",
                "KubeRuntime",
                "Arklet",
                "BaseSimulation",
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "ModuleControllerAppTests",
            dependencies: ["ModuleControllerApp", "Arklet", "BaseSimulation", "CurlHTTP", "KubeClient", "KubeTestServer",
                           "MosquittoTestSupport", "VirtualKubelet", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "KubeContractTests",
            dependencies: ["KubeClient", "KubeRuntime", "KubeTestServer"],
            swiftSettings: strict
        ),
    ]
)
