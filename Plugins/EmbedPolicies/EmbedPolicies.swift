import Foundation
import PackagePlugin

/// Compiles the shipped rules files of `policies/` into the library as its defaults, so an
/// installed binary needs no files beside it. Runs `policy-embedder` whenever a file changes.
@main
struct EmbedPolicies: BuildToolPlugin {
    /// The files embedded, by the Swift name they get.
    static let files = [
        ("serviceRules", "services.rules"), ("auditRules", "audit.rules"), ("topPorts", "top-ports.list"),
    ]

    func createBuildCommands(context: PluginContext, target: any Target) throws -> [Command] {
        let policies = context.package.directoryURL.appending(path: "policies")
        let inputs = Self.files.map { policies.appending(path: $0.1) }
        let output = context.pluginWorkDirectoryURL.appending(path: "EmbeddedPolicies.swift")
        let pairs = zip(Self.files, inputs).map { "\($0.0.0)=\($0.1.path(percentEncoded: false))" }
        return [
            .buildCommand(
                displayName: "Embedding policies/ into \(target.name)",
                executable: try context.tool(named: "policy-embedder").url,
                arguments: [output.path(percentEncoded: false)] + pairs,
                inputFiles: inputs,
                outputFiles: [output])
        ]
    }
}
