#if canImport(FoundationEssentials)
    import FoundationEssentials
#else
    import Foundation
#endif

/// Renders an audit as SARIF 2.1.0 (OASIS), for code-scanning dashboards: one run, the rules
/// that fired as `reportingDescriptor`s, one result per finding. A finding's place is the
/// service, `tcp://HOST:PORT` (no source file stands behind it); its fingerprint is a
/// `partialFingerprints` entry, and a waiver is an external, accepted suppression.
public struct SARIFRendering: Sendable {
    static let schemaURI = "https://json.schemastore.org/sarif-2.1.0.json"
    static let fingerprintKey = "reconFindingFingerprint/v1"

    private let encoder: JSONEncoder

    public init() {
        encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes, .prettyPrinted]
    }

    /// The SARIF log of `report`'s findings, described by `rules`.
    public func document(_ report: ScanReport, rules: AuditRules) -> [UInt8] {
        // With a baseline, the findings gone since are results too (`baselineState: absent`).
        let findings = (report.findings ?? []) + (report.audit?.baseline?.absentFindings ?? [])
        var ruleIDs: [String] = []
        for finding in findings where !ruleIDs.contains(finding.rule) { ruleIDs.append(finding.rule) }
        let descriptors = ruleIDs.map { id in Descriptor(rules.rule(id), id: id) }
        let results = findings.map { finding in
            Result(finding, ruleIndex: ruleIDs.firstIndex(of: finding.rule) ?? 0)
        }
        let run = Run(
            tool: Tool(
                driver: Driver(
                    name: "recon", version: report.run.version, semanticVersion: report.run.version, rules: descriptors)
            ),
            invocations: [
                Invocation(
                    commandLine: (["recon"] + report.run.arguments).joined(separator: " "),
                    executionSuccessful: report.run.complete, startTimeUtc: report.run.started,
                    endTimeUtc: report.run.ended)
            ],
            results: results)
        do {
            return Array(try encoder.encode(Log(schema: Self.schemaURI, version: "2.1.0", runs: [run]))) + [0x0A]
        } catch {
            // Strings, integers and booleans always encode: a failure is a bug.
            fatalError("recon: could not encode the SARIF log: \(error)")
        }
    }

    /// SARIF's level for a severity: info is a note, low and medium warnings, high an error.
    static func level(_ severity: AuditSeverity) -> String {
        switch severity {
        case .info: return "note"
        case .low, .medium: return "warning"
        case .high: return "error"
        }
    }

    /// GitHub's `security-severity` (0-10) for a severity.
    static func securitySeverity(_ severity: AuditSeverity) -> String {
        switch severity {
        case .info: return "0.0"
        case .low: return "3.0"
        case .medium: return "5.0"
        case .high: return "7.5"
        }
    }

    struct Log: Encodable {
        var schema: String
        var version: String
        var runs: [Run]

        enum CodingKeys: String, CodingKey {
            case version, runs
            case schema = "$schema"
        }
    }

    struct Run: Encodable {
        var tool: Tool
        var invocations: [Invocation]
        var results: [Result]
    }

    struct Tool: Encodable {
        var driver: Driver
    }

    struct Driver: Encodable {
        var name: String
        var version: String
        var semanticVersion: String
        var rules: [Descriptor]
    }

    struct Invocation: Encodable {
        var commandLine: String
        var executionSuccessful: Bool
        var startTimeUtc: String
        var endTimeUtc: String
    }

    struct Text: Encodable {
        var text: String
    }

    struct Descriptor: Encodable {
        var id: String
        var name: String
        var shortDescription: Text
        var fullDescription: Text
        var help: Text
        var defaultConfiguration: Configuration
        var properties: DescriptorProperties

        init(_ rule: AuditRule?, id: String) {
            self.id = id
            name = id.split(separator: "-").map { $0.prefix(1).uppercased() + $0.dropFirst() }.joined()
            let title = rule?.title ?? id
            shortDescription = Text(text: title)
            let hiding = rule?.hideable == false ? " No setting hides it." : ""
            fullDescription = Text(text: "\(title): version disclosed (not a vulnerability by itself).\(hiding)")
            help = Text(text: rule?.remediation ?? "")
            let severity = rule?.severity ?? .low
            defaultConfiguration = Configuration(level: SARIFRendering.level(severity))
            properties = DescriptorProperties(
                tags: ["security", "version-disclosure", "CWE-200"],
                securitySeverity: SARIFRendering.securitySeverity(severity), precision: "high")
        }
    }

    struct Configuration: Encodable {
        var level: String
    }

    struct DescriptorProperties: Encodable {
        var tags: [String]
        var securitySeverity: String
        var precision: String

        enum CodingKeys: String, CodingKey {
            case tags, precision
            case securitySeverity = "security-severity"
        }
    }

    struct Result: Encodable {
        var ruleId: String
        var ruleIndex: Int
        var level: String
        var message: Text
        var locations: [Location]
        var partialFingerprints: [String: String]
        var baselineState: String?
        var suppressions: [Suppression]?
        var properties: ResultProperties

        init(_ finding: AuditFinding, ruleIndex: Int) {
            ruleId = finding.rule
            self.ruleIndex = ruleIndex
            level = SARIFRendering.level(finding.severity)
            let endpoint = finding.endpoint
            message = Text(
                text: "\(finding.message) on \(endpoint) (\(finding.evidence.location)): \"\(finding.evidence.text)\"")
            locations = [
                Location(
                    physicalLocation: PhysicalLocation(artifactLocation: ArtifactLocation(uri: "tcp://\(endpoint)")),
                    logicalLocations: [
                        LogicalLocation(
                            name: "\(endpoint)/tcp", fullyQualifiedName: "tcp://\(endpoint)", kind: "resource")
                    ])
            ]
            partialFingerprints = [SARIFRendering.fingerprintKey: finding.fingerprint]
            baselineState = finding.baselineState?.rawValue
            suppressions = finding.waiver.map { waiver in
                [Suppression(kind: "external", status: "accepted", justification: waiver.reason)]
            }
            properties = ResultProperties(
                severity: finding.severity.rawValue, service: finding.service, evidence: finding.evidence,
                remediation: finding.remediation, hideable: finding.hideable, hostname: finding.hostname)
        }
    }

    struct Location: Encodable {
        var physicalLocation: PhysicalLocation
        var logicalLocations: [LogicalLocation]
    }

    struct PhysicalLocation: Encodable {
        var artifactLocation: ArtifactLocation
    }

    struct ArtifactLocation: Encodable {
        var uri: String
    }

    struct LogicalLocation: Encodable {
        var name: String
        var fullyQualifiedName: String
        var kind: String
    }

    struct Suppression: Encodable {
        var kind: String
        var status: String
        var justification: String
    }

    struct ResultProperties: Encodable {
        var severity: String
        var service: String?
        var evidence: AuditEvidence
        var remediation: String
        var hideable: Bool
        var hostname: String?
    }
}
