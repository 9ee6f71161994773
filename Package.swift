// swift-tools-version:6.0
import PackageDescription

let argumentParser = Target.Dependency.product(name: "ArgumentParser", package: "swift-argument-parser")

let package = Package(
    name: "Ferry",
    products: [
        .executable(name: "server", targets: ["server"]),
        .executable(name: "client", targets: ["client"]),
        .executable(name: "runner", targets: ["runner"]),
        .executable(name: "bench", targets: ["bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
    ],
    targets: [
        /// Sockets, wire protocol, timing, messages and verification: everything `server` and `client` do.
        .target(name: "FerryCore"),
        /// Option groups, the one-line-error entry point and the executables' folder, shared by the executables.
        .target(name: "FerryCLI", dependencies: ["FerryCore", argumentParser]),
        .executableTarget(name: "server", dependencies: ["FerryCore", "FerryCLI", argumentParser]),
        .executableTarget(name: "client", dependencies: ["FerryCore", "FerryCLI", argumentParser]),
        .executableTarget(name: "runner", dependencies: ["FerryCore", "FerryScenario", "FerryRunner", "FerryCLI", argumentParser]),
        /// The benchmark beside the anchors (`make bench`) and its test data (`PatternFile`).
        .target(name: "FerryBench", dependencies: ["FerryCore", "FerryRunner"]),
        .executableTarget(name: "bench", dependencies: ["FerryBench", "FerryCore", "FerryRunner", "FerryCLI", argumentParser]),

        /// libyaml, Debian's libyaml-dev, through a module map.
        .systemLibrary(name: "CYAML", pkgConfig: "yaml-0.1", providers: [.apt(["libyaml-dev"])]),
        /// YAML scenarios: the libyaml wrapper, the node tree and the typed, validated scenario model.
        .target(name: "FerryScenario", dependencies: ["CYAML", "FerryCore"]),
        /// Hosts (network namespaces), child processes, cases, checks and reports: what `runner` does.
        .target(name: "FerryRunner", dependencies: ["FerryCore", "FerryScenario"]),

        .target(name: "FerryTestSupport", dependencies: ["FerryCore", "FerryRunner", "FerryBench", "FerryCLI"], path: "Tests/FerryTestSupport"),
        .testTarget(name: "FerryCoreTests", dependencies: ["FerryCore", "FerryTestSupport"]),
        .testTarget(name: "FerryScenarioTests", dependencies: ["FerryScenario", "FerryCore", "FerryTestSupport"]),
        .testTarget(name: "FerryRunnerTests", dependencies: ["FerryRunner", "FerryScenario", "FerryCore", "FerryBench", "FerryTestSupport"]),
        .testTarget(name: "EndToEndTests", dependencies: ["FerryCore", "FerryRunner", "FerryBench", "FerryTestSupport"]),
    ]
)
