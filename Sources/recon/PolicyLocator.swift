import ReconCore

#if canImport(Glibc)
    import Glibc
#endif

/// Finds the files of the policies folder (beside the checkout the binary was built in, under
/// `$RECON_POLICIES`, `/usr/local/share/recon`, or the current folder), and loads the service
/// rules: `policies/services.rules`, then `--rules` files and nmap's probes file. Bad files fail
/// here, before any scan.
enum PolicyLocator {
    static let serviceRulesFile = "services.rules"
    static let nmapDefault = "/usr/share/nmap/nmap-service-probes"

    static func load(extra: [String], nmapProbes: String?) throws(ReconFailure) -> ServiceRules {
        let path = try requiredPath(serviceRulesFile)
        do throws(ServiceRulesError) {
            var rules = try ServiceRules(contentsOf: path)
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

    /// The default file `fileName` of the policies folder, or a usage failure naming it.
    static func requiredPath(_ fileName: String) throws(ReconFailure) -> String {
        guard let path = defaultPath(fileName) else {
            throw ReconFailure(
                message: "cannot find policies/\(fileName): set RECON_POLICIES to the policies folder", code: .usage)
        }
        return path
    }

    /// The first existing candidate for a file of the policies folder (`services.rules`,
    /// `audit.rules`).
    private static func defaultPath(_ fileName: String) -> String? {
        var candidates: [String] = []
        if let folder = getenv("RECON_POLICIES") { candidates.append(String(cString: folder) + "/" + fileName) }
        let executable = executablePath()
        if let executable {
            // .build/<config>/recon and .build/<triple>/<config>/recon inside a checkout.
            var folder = executable
            for _ in 0..<4 {
                folder = parent(folder)
                candidates.append(folder + "/policies/" + fileName)
            }
            candidates.append(parent(parent(executable)) + "/share/recon/" + fileName)
        }
        candidates += ["/usr/local/share/recon/" + fileName, "policies/" + fileName]
        return candidates.first { access($0, R_OK) == 0 }
    }

    private static func executablePath() -> String? {
        var buffer = [CChar](repeating: 0, count: 4096)
        let length = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        guard length > 0 else { return nil }
        return String(decoding: buffer[0..<length].map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func parent(_ path: String) -> String {
        guard let slash = path.lastIndex(of: "/"), slash != path.startIndex else { return "/" }
        return String(path[..<slash])
    }
}
