// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "spool",
    platforms: [.macOS(.v15)],
    products: [
        .library(name: "Spool", targets: ["Spool"]),
        .executable(name: "spool-worker", targets: ["Worker"]),
        .executable(name: "spool-mcp", targets: ["Frontend"]),
        .executable(name: "spool-supervisor", targets: ["SpoolSupervisor"]),
        .executable(name: "spool-bench", targets: ["Bench"]),
        .executable(name: "spool-relay", targets: ["Relay"]),
    ],
    dependencies: [
        // Only the end-to-end tests' client: a third party's MCP client against ours.
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", exact: "1.0.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", exact: "2.28.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
        // HTTP/1 request heads before Hummingbird converts them (AbsoluteFormTarget).
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras", from: "1.35.2"),
    ],
    targets: [
        // libinotifytools ships no pkg-config file, so a plain module map links it.
        .systemLibrary(
            name: "CInotifyTools",
            path: "Sources/CInotifyTools",
            providers: [.apt(["libinotifytools0-dev"])]
        ),
        // libseccomp builds the filter of jobs under a policy (SpoolSupervisor/seccomp_filter.c).
        .systemLibrary(
            name: "CSeccomp",
            path: "Sources/CSeccomp",
            providers: [.apt(["libseccomp-dev"])]
        ),
        // libvterm: the terminal emulator that turns a terminal job's output into its screen.
        .systemLibrary(
            name: "CVTerm",
            path: "Sources/CVTerm",
            pkgConfig: "vterm",
            providers: [.apt(["libvterm-dev"])]
        ),
        // MCP's wire: JSON values, the JSON-RPC envelope and the MCP types Spool uses.
        // Plain types with no dependency, decoded once per message.
        .target(name: "MCPWire"),
        // File calls Swift's Glibc module does not export (renameat2).
        .target(name: "CSpoolFiles", path: "Sources/CSpoolFiles"),
        .target(
            name: "Spool",
            dependencies: [
                "CInotifyTools",
                "CSpoolFiles",
                "MCPWire",
                .product(name: "SystemPackage", package: "swift-system"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The command-line settings both executables share (flags with SPOOL_* twins).
        .target(
            name: "SpoolOptions",
            dependencies: [
                "Spool",
                "Supervision",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // The per-job supervisor is C on purpose: it starts once per job, so it must
        // start in well under a millisecond and must not need the Swift runtime.
        .executableTarget(
            name: "SpoolSupervisor",
            dependencies: ["CSeccomp"],
            path: "Sources/SpoolSupervisor",
            // Plain C needs none of the Swift runtime that swiftc links by default; dropping
            // it saves the dynamic loading of libswiftCore and libstdc++ on every job.
            // A C target gets no autolinking from CSeccomp's module map, so it names the library.
            linkerSettings: [.unsafeFlags(["-static-executable"]), .linkedLibrary("seccomp")]
        ),
        // Keeping a child process running: restart with backoff (workers, relays).
        .target(
            name: "Supervision",
            dependencies: [
                "Spool",
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // `spool-relay`: the exchange between hosts' spools through PostgreSQL.
        .executableTarget(
            name: "Relay",
            dependencies: [
                "Spool",
                "SpoolOptions",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // Spawn attributes, and socket calls with descriptor passing (CMSG_* macros): for the
        // fork server's client and the test harness.
        .target(name: "CSpoolSpawn", path: "Sources/CSpoolSpawn"),
        .executableTarget(
            name: "Worker",
            dependencies: [
                "Spool",
                "SpoolOptions",
                "Supervision",
                "CSpoolSpawn",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "Frontend",
            dependencies: [
                "Spool",
                "CVTerm",
                "SpoolOptions",
                "Supervision",
                "MCPWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypesHTTP1", package: "swift-nio-extras"),
            ]
        ),
        // posix_spawn with a clean signal mask, for tests and the benchmark.
        .target(name: "ProcessHarness", dependencies: ["CSpoolSpawn"]),
        .executableTarget(
            name: "Bench",
            dependencies: [
                "Spool",
                "ProcessHarness",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .testTarget(name: "SpoolTests", dependencies: ["Spool"]),
        .testTarget(name: "MCPWireTests", dependencies: ["MCPWire"]),
        // The relay's pure rules (mirroring, batching, claim recovery, URLs), without
        // PostgreSQL; and its SQL transitions against a private cluster (ProcessHarness).
        .testTarget(name: "RelayTests", dependencies: [
            "Relay", "Spool", "ProcessHarness", .product(name: "PostgresNIO", package: "postgres-nio"),
        ]),
        // The worker's pure parts (the session state machine, its shell script), without processes.
        .testTarget(name: "WorkerTests", dependencies: ["Worker", "Spool"]),
        // Pure parts of the frontend (parsing, shape checks, state machines), without processes.
        .testTarget(name: "FrontendTests", dependencies: [
            "Frontend", "MCPWire", .product(name: "Hummingbird", package: "hummingbird"),
        ]),
        .testTarget(
            name: "EndToEndTests",
            dependencies: ["Spool", "ProcessHarness", .product(name: "MCP", package: "swift-sdk")],
            // The Python client's driver script, run by PythonClientTests from its path.
            exclude: ["Python"]
        ),
    ]
)
