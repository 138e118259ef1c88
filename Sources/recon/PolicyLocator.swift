import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// The rules recon starts from: compiled in (the shipped `policies/` files), or the files of the
/// folder `$RECON_POLICIES` names, which replace them; then `--rules` / `--audit-rules` files and
/// nmap's probes file are added. Bad files fail here, before any scan.
enum PolicyLocator {
    static let nmapDefault = "/usr/share/nmap/nmap-service-probes"

    /// The service identification rules.
    static func serviceRules(extra: [String], nmapProbes: String?) throws(ReconFailure) -> ServiceRules {
        do throws(ServiceRulesError) {
            var rules = try ServiceRules.builtIn()
            if let path = replacement("services.rules") { rules = try ServiceRules(contentsOf: path) }
            for file in extra { rules = rules.merging(try ServiceRules(contentsOf: file)) }
            if let nmapProbes {
                let nmapPath = nmapProbes == "auto" ? nmapDefault : nmapProbes
                rules = rules.merging(try ServiceRules.nmapServiceProbes(contentsOf: nmapPath))
            }
            return rules
        } catch {
            throw ReconFailure(message: error.description, code: .usage)
        }
    }

    /// The audit rules.
    static func auditRules(extra: [String]) throws(ReconFailure) -> AuditRules {
        do throws(AuditRulesError) {
            var rules = try AuditRules.builtIn()
            if let path = replacement("audit.rules") { rules = try AuditRules(contentsOf: path) }
            for file in extra { rules = rules.merging(try AuditRules(contentsOf: file)) }
            return rules
        } catch {
            throw ReconFailure(message: error.description, code: .usage)
        }
    }

    /// `$RECON_POLICIES/fileName` when that variable names a folder; nil to use the built-in file.
    private static func replacement(_ fileName: String) -> String? {
        guard let folder = getenv("RECON_POLICIES"), folder.pointee != 0 else { return nil }
        return String(cString: folder) + "/" + fileName
    }
}
