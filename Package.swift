// swift-tools-version:6.2
import PackageDescription

let package = Package(
    name: "Tianyan",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "tianyan", targets: ["tianyan"]),
        .library(name: "TianyanModel", targets: ["TianyanModel"]),
        .library(name: "TianyanSQLite", targets: ["TianyanSQLite"]),
        .library(name: "TianyanApp", targets: ["TianyanApp"]),
        .library(name: "TianyanTesting", targets: ["TianyanTesting"]),
        .library(name: "RadioLink", targets: ["RadioLink"]),
        .library(name: "SerialPorts", targets: ["SerialPorts"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.0.0"),
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.14.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.20.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.0.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.0.0"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.0.0"),
        .package(url: "https://github.com/vapor/postgres-nio", from: "1.33.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.36.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.80.0"),
    ],
    targets: [
        // C libraries, each imported by exactly one Swift module (MosquittoClient and
        // SerialPorts, which arrive with the dock and radio links).
        .systemLibrary(
            name: "CMosquitto",
            pkgConfig: "libmosquitto",
            providers: [.apt(["libmosquitto-dev"])]
        ),
        // libxcrypt, for yescrypt password hashes.
        .systemLibrary(
            name: "CCrypt",
            pkgConfig: "libxcrypt",
            providers: [.apt(["libcrypt-dev"])]
        ),
        .systemLibrary(
            name: "CLibSerialPort",
            pkgConfig: "libserialport",
            providers: [.apt(["libserialport-dev"])]
        ),

        .target(name: "TianyanModel"),
        // Survey routes per grid cell: lanes, sweep angle, sorties. Pure; depends on the model only.
        .target(name: "CoveragePlanner", dependencies: ["TianyanModel"]),
        // An append-only file journal of received messages with release marks and disk room
        // reserved ahead; knows nothing of MQTT (the MQTT client journals through it).
        .target(name: "MessageJournal", dependencies: ["CJournal"]),
        // fallocate(2) for the journal's reserved room (a GNU extension Swift's Glibc module lacks).
        .target(name: "CJournal"),
        .target(
            name: "MosquittoClient",
            dependencies: [
                "CMosquitto",
                "MessageJournal",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "DockLink",
            dependencies: ["TianyanModel", .product(name: "Yams", package: "Yams")]
        ),
        // The batching writer every store adapter commits through: batches, backoff, a bounded
        // queue, a graceful drain; the adapter gives it one transaction per batch.
        .target(
            name: "RecordWriter",
            dependencies: [
                "TianyanModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .target(
            name: "TianyanSQLite",
            dependencies: [
                "TianyanModel",
                "RecordWriter",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "GRDBSQLite", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The store ports' PostgreSQL adapter (`database: postgres://…`): the same tables with
        // native types, positions partitioned by day, batched idempotent writes through the
        // shared batching writer (RecordWriter).
        .target(
            name: "TianyanPostgres",
            dependencies: [
                "TianyanModel",
                "RecordWriter",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The radio port's TETRA adapter: a PEI gateway over a serial line or TCP (the engine in
        // RadioLink, the byte links in SerialPorts), translating what it hears into records.
        .target(
            name: "TianyanTetra",
            dependencies: [
                "RadioLink",
                "SerialPorts",
                "TianyanModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The radio port's Hytera adapter: HRNP to a Hytera mobile or control-station radio over
        // a serial line or TCP (the session in HyteraLink, the byte links in SerialPorts).
        .target(
            name: "TianyanHytera",
            dependencies: [
                "HyteraLink",
                "SerialPorts",
                "TianyanModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The radio port's JT/T 808 adapter: a TCP server (SwiftNIO) for PoC handsets and vehicle
        // terminals, one JT808Link connection per terminal.
        .target(
            name: "TianyanJT808",
            dependencies: [
                "JT808Link",
                "TianyanModel",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The dock port's DJI adapter: the Cloud API over MQTT (DockLink's codec, MosquittoClient),
        // route files (WPML) and the commands' JSON.
        .target(
            name: "TianyanDJI",
            dependencies: [
                "DockLink",
                "MessageJournal",
                "MosquittoClient",
                "TianyanModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The dispatch layer: tasks, paging across gateways, sorties, maintenance, the live feed,
        // users. It sees the ports of TianyanModel only, never an adapter.
        .target(
            name: "TianyanDispatch",
            dependencies: [
                "CoveragePlanner",
                "TianyanModel",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // The composition root: configuration, the adapters chosen and wired, one ServiceGroup.
        .target(
            name: "TianyanApp",
            dependencies: [
                "CCrypt",
                "CoveragePlanner",
                "DockLink",
                "MosquittoClient",
                "RadioLink",
                "SerialPorts",
                "TianyanDJI",
                "TianyanDispatch",
                "TianyanModel",
                "TianyanServer",
                "TianyanSQLite",
                "TianyanPostgres",
                "RecordWriter",
                "TianyanTetra",
                "HyteraLink",
                "TianyanHytera",
                "JT808Link",
                "TianyanJT808",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // The HTTP server: REST API under /api/v1, /healthz, /metrics, the live feed and the
        // console (Hummingbird 2). It sees the dispatch layer and the model only.
        .target(
            name: "TianyanServer",
            dependencies: [
                "TianyanDispatch",
                "TianyanModel",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            // The web console's HTML, CSS and JavaScript, served at / and /console/.
            resources: [.copy("Console"), .copy("openapi.yaml")]
        ),
        // The pure core of the radio link: PEI framing and parsing, SDS/LIP codecs, call
        // tracking and the command engine. No I/O; the serial shell drives it.
        .target(name: "RadioLink", dependencies: ["TianyanModel", .product(name: "Yams", package: "Yams")]),
        // The pure core of the Hytera link: HRNP, HSTRP and HDAP (RRS, LP, TMP, RCP, TP, DDS)
        // codecs, the HDAP application and the HRNP session. No I/O.
        .target(name: "HyteraLink", dependencies: ["TianyanModel"]),
        // The pure core of JT/T 808 (PoC handsets and vehicle terminals): frames (2013 and 2019
        // headers, escaping, multi-package), bodies, GBK text, one terminal's connection. No I/O.
        .target(name: "JT808Link", dependencies: ["TianyanModel"]),
        // Byte links to radio gateways: serial ports (libserialport, or plain termios for ptys)
        // and TCP, with reconnection. Knows nothing of radios.
        .target(
            name: "SerialPorts",
            dependencies: ["CLibSerialPort", .product(name: "Logging", package: "swift-log")]
        ),
        .target(
            name: "TianyanTesting",
            dependencies: ["TianyanModel", "HyteraLink"]
        ),
        .executableTarget(
            name: "tianyan",
            dependencies: [
                "DockLink",
                "RadioLink",
                "SerialPorts",
                "CoveragePlanner",
                "TianyanApp", "TianyanDispatch",
                "TianyanModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "bench-store",
            dependencies: [
                "RecordWriter",
                "TianyanModel",
                "TianyanPostgres",
                "TianyanSQLite",
                "TianyanTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "tools/bench-store"
        ),
        // The live feed under load: N WebSocket clients against an in-process server (BENCHMARKS.md).
        .executableTarget(
            name: "bench-live",
            dependencies: [
                "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanServer", "TianyanSQLite",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "tools/bench-live"
        ),
        // The web console's first load and map fluidity in headless Chromium against the demo.
        .executableTarget(
            name: "bench-console",
            dependencies: ["TianyanTesting"],
            path: "tools/bench-console"
        ),
        // Hytera HRNP/HDAP frames per second against a framing-only reference (BENCHMARKS.md).
        .executableTarget(name: "bench-hytera", dependencies: ["HyteraLink", "TianyanModel"], path: "tools/bench-hytera"),
        .executableTarget(
            name: "bench-mqtt",
            dependencies: ["DockLink", "MosquittoClient", "TianyanModel"],
            path: "tools/bench-mqtt"
        ),
        .executableTarget(
            name: "bench-gateway",
            dependencies: [
                "RadioLink", "SerialPorts", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "tools/bench-gateway"
        ),
        .executableTarget(
            name: "dock-sim",
            dependencies: [
                "MosquittoClient",
                "TianyanModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ],
            path: "tools/dock-sim",
            exclude: ["README.md"]
        ),
        .executableTarget(
            name: "radio-sim",
            dependencies: [
                "RadioLink",
                "HyteraLink",
                "JT808Link",
                "TianyanModel",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            path: "tools/radio-sim",
            exclude: ["README.md"]
        ),
        // DJI envelope/OSD/event decoding and the dock and radio profile loaders under random input (tools/faults/fuzz).
        .executableTarget(
            name: "fuzz-dock", dependencies: ["DockLink", "RadioLink", "TianyanModel", "TianyanTesting"], path: "tools/fuzz-dock"
        ),
        // Fault scenarios of issue 7 (tools/faults): kill -9, broker restart and outage, soak.
        .executableTarget(
            name: "faults",
            dependencies: [
                "MosquittoClient", "TianyanModel", "TianyanSQLite", "TianyanTesting",
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(name: "fuzz-radio", dependencies: ["RadioLink", "TianyanModel"], path: "tools/fuzz-radio"),
        // Hostile radio traffic through the whole controller process (tools/fuzz-gateway/main.swift).
        .executableTarget(name: "fuzz-gateway", dependencies: ["MosquittoClient", "TianyanTesting"], path: "tools/fuzz-gateway"),
        .executableTarget(name: "bench-radio", dependencies: ["RadioLink", "TianyanModel"], path: "tools/bench-radio"),
        .executableTarget(
            name: "bench-planner-geometry", dependencies: ["CoveragePlanner", "TianyanModel"], path: "tools/bench-planner-geometry"
        ),
        .executableTarget(name: "bench-schedule", dependencies: ["CoveragePlanner", "TianyanModel"], path: "tools/bench-schedule"),
        // Plan quality against the staleness-greedy baseline and a CP-SAT model (tools/bench-schedule-quality.sh).
        .executableTarget(
            name: "bench-schedule-quality", dependencies: ["CoveragePlanner", "TianyanModel"], path: "tools/bench-schedule-quality"
        ),

        // Dispatch on the ports' fakes: no broker, no pty, no file.
        .testTarget(
            name: "TianyanDispatchTests",
            dependencies: ["CoveragePlanner", "TianyanDispatch", "TianyanModel", "TianyanTesting", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "TianyanModelTests", dependencies: ["TianyanModel", "TianyanTesting"]),
        .testTarget(name: "CoveragePlannerTests", dependencies: ["CoveragePlanner", "TianyanModel", "TianyanTesting"]),
        .testTarget(name: "DockLinkTests", dependencies: ["DockLink", "TianyanModel", "TianyanTesting"]),
        .testTarget(
            name: "MosquittoClientTests",
            dependencies: ["MessageJournal", "MosquittoClient", "TianyanTesting", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(name: "RadioLinkTests", dependencies: ["RadioLink", "TianyanModel"]),
        .testTarget(name: "HyteraLinkTests", dependencies: ["HyteraLink", "TianyanModel"]),
        .testTarget(name: "JT808LinkTests", dependencies: ["JT808Link", "TianyanModel"]),
        .testTarget(
            name: "SerialPortsTests",
            dependencies: ["SerialPorts", "TianyanTesting", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TianyanSQLiteTests",
            dependencies: [
                "RecordWriter", "TianyanSQLite", "TianyanModel", "TianyanTesting",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "ServiceLifecycleTestKit", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "TianyanPostgresTests",
            dependencies: [
                "RecordWriter", "TianyanPostgres", "TianyanModel", "TianyanTesting",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        .testTarget(
            name: "TianyanAppTests",
            dependencies: ["CoveragePlanner", "DockLink", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanSQLite", "TianyanModel", "TianyanTesting", .product(name: "Logging", package: "swift-log")]
        ),
        .testTarget(
            name: "TianyanServerTests",
            dependencies: [
                "CoveragePlanner", "DockLink", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanServer", "TianyanSQLite", "TianyanTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
            ]
        ),
        // DockLink only in the tests: they serve route files written by the controller's writer to
        // the simulator, which reads them with its own code and never imports DockLink.
        .testTarget(name: "DockSimTests", dependencies: ["dock-sim", "DockLink", "MosquittoClient", "TianyanModel", "TianyanTesting"]),
        .testTarget(
            name: "RadioSimTests",
            dependencies: ["radio-sim", "RadioLink", "SerialPorts", "TianyanModel", "TianyanTesting"]
        ),
        // The web console in a real headless Chromium against `tianyan serve` (second phase of tools/test).
        .testTarget(
            name: "ConsoleTests",
            dependencies: ["MosquittoClient", "TianyanModel", "TianyanSQLite", "TianyanTesting"]
        ),
        // Issue 7's fault scenarios 3-5, short versions (tools/faults runs the long ones). They
        // start gateways on ptys and sockets and a mosquitto: the second phase of tools/test.
        .testTarget(
            name: "FaultTests",
            dependencies: [
                "CoveragePlanner", "DockLink", "MosquittoClient", "RadioLink", "SerialPorts", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanServer",
                "TianyanSQLite", "TianyanTesting",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
        // Short versions of the fault scenarios: the `faults` executable against the real
        // `tianyan serve`, mosquitto and radio-sim (second phase of tools/test).
        .testTarget(
            name: "CrashTests",
            dependencies: [
                "faults", "DockLink", "MosquittoClient", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanSQLite", "TianyanTesting",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "MessageJournal", "MosquittoClient", "RadioLink", "SerialPorts", "TianyanApp", "TianyanDJI", "TianyanDispatch", "TianyanTetra", "TianyanModel", "TianyanPostgres", "TianyanSQLite", "TianyanTesting",
                "HyteraLink", "TianyanHytera", "JT808Link", "TianyanJT808",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ]
        ),
    ]
)

for target in package.targets where [.regular, .test, .executable].contains(target.type) {
    var settings = target.swiftSettings ?? []
    settings.append(.enableUpcomingFeature("MemberImportVisibility"))
    settings.append(.enableUpcomingFeature("ExistentialAny"))
    target.swiftSettings = settings
}
