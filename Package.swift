// swift-tools-version: 6.1
import PackageDescription

/// Settings every Swift target shares: Swift 6 language mode plus the upcoming features that
/// keep C types and internal imports from leaking out of the module that wraps them.
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("MemberImportVisibility"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

let package = Package(
    name: "stomper",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "stomper", targets: ["StomperCLI"]),
        .executable(name: "stomper-mock-agent", targets: ["StomperMockAgent"]),
        .executable(name: "stomper-bench", targets: ["StomperBench"]),
        .executable(name: "stomper-chat-stub", targets: ["StomperChatStubTool"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.2"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", from: "0.12.1"),
        // The MCP SDK's file descriptors (its stdio transport); the tests hand it a child's pipes.
        .package(url: "https://github.com/apple/swift-system", from: "1.8.1"),
    ],
    targets: [
        .systemLibrary(
            name: "Clibgit2",
            pkgConfig: "libgit2",
            providers: [.apt(["libgit2-dev"]), .brew(["libgit2"])]
        ),
        .target(
            name: "StomperErrors",
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperGit",
            dependencies: ["Clibgit2", "StomperErrors", "StomperProcess"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperProcess",
            dependencies: [
                "StomperErrors",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperCoordination",
            dependencies: ["StomperErrors"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperLedger",
            dependencies: ["StomperCoordination", "StomperErrors", "StomperProcess", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperFiles",
            dependencies: ["StomperErrors"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperQuality",
            dependencies: ["StomperErrors", "StomperProcess", "StomperFiles"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperAgents",
            dependencies: ["StomperErrors", "StomperProcess", "StomperQuality"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperDocs",
            dependencies: [
                "StomperCoordination", "StomperErrors", "StomperGit", "StomperProcess", "StomperQuality",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperCore",
            dependencies: [
                "StomperGit", "StomperProcess", "StomperQuality", "StomperAgents", "StomperCoordination", "StomperLedger",
                "StomperDocs", "StomperErrors",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "TOMLKit", package: "TOMLKit"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperReport",
            dependencies: ["StomperCore", "StomperQuality", "StomperAgents", "StomperGit", "StomperLedger", "StomperFiles"],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperMCP",
            dependencies: [
                "StomperCoordination", "StomperLedger", "StomperProcess", "StomperFiles",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StomperCLI",
            dependencies: [
                "StomperCore", "StomperReport", "StomperMCP", "StomperGit", "StomperQuality", "StomperAgents", "StomperLedger", "StomperProcess",
                "StomperCoordination", "StomperDocs", "StomperFiles", "StomperErrors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings,
            plugins: ["BuildInfo"]
        ),
        .plugin(name: "BuildInfo", capability: .buildTool()),
        .executableTarget(
            name: "StomperMockAgent",
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperChatStub",
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StomperChatStubTool",
            dependencies: ["StomperChatStub"],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "StomperBench",
            dependencies: [
                "StomperCore", "StomperGit", "StomperQuality", "StomperAgents", "StomperLedger", "StomperProcess",
                "StomperCoordination", "StomperChatStub",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .target(
            name: "StomperTestSupport",
            dependencies: ["StomperProcess", "StomperAgents", "StomperQuality"],
            path: "Tests/StomperTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(name: "StomperErrorsTests", dependencies: ["StomperErrors", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "StomperGitTests", dependencies: ["StomperGit", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "StomperProcessTests", dependencies: ["StomperProcess", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "StomperLedgerTests", dependencies: ["StomperLedger", "StomperProcess", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "StomperCoordinationTests", dependencies: ["StomperCoordination", "StomperLedger", "StomperTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(name: "StomperDocsTests", dependencies: ["StomperDocs", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(name: "StomperQualityTests", dependencies: ["StomperQuality", "StomperTestSupport"], swiftSettings: strictSettings),
        .testTarget(
            name: "StomperAgentsTests", dependencies: ["StomperAgents", "StomperQuality", "StomperTestSupport", "StomperChatStub"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "StomperCoreTests",
            dependencies: [
                "StomperCore", "StomperGit", "StomperQuality", "StomperAgents", "StomperProcess",
                "StomperLedger", "StomperCoordination", "StomperTestSupport",
                .product(name: "Logging", package: "swift-log"),
            ], swiftSettings: strictSettings),
        .testTarget(
            name: "StomperReportTests",
            dependencies: ["StomperReport", "StomperCore", "StomperQuality", "StomperGit", "StomperLedger", "StomperProcess", "StomperTestSupport"],
            swiftSettings: strictSettings),
        .testTarget(
            name: "StomperCLITests",
            dependencies: [
                "StomperCLI", "StomperBench", "StomperMockAgent", "StomperTestSupport",
                "StomperLedger", "StomperCoordination", "StomperChatStub",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "SystemPackage", package: "swift-system"),
            ],
            swiftSettings: strictSettings),
    ]
)
