import ReconCore

extension ServiceProber {
    /// The prober `settings` ask for (nil when they probe nothing): rules as `ServiceRules.load`
    /// finds them (`policies` replacing the built-in ones), the deadline and caps given, the
    /// audit's requests. Refuses an open-file limit too low to probe at all. Nothing is sent.
    public static func make(
        _ settings: ScanSettings, audit: AuditPlan?, policies: String?, userAgent: String
    ) throws(SetupError) -> ServiceProber? {
        guard settings.probes || audit != nil else { return nil }
        var options = ProbeOptions()
        let rules: ServiceRules
        var later: (@Sendable () -> ServiceRules)?
        do throws(ServiceRulesError) {
            rules = try ServiceRules.load(replacing: policies, extra: settings.rulesFiles, nmapProbes: nil)
            if let nmapProbes = settings.nmapProbes {
                // nmap's file is checked now (a bad one stops the run before any connect) and
                // read while the first ports are probed: its thousands of matches take a few
                // tenths of a second of CPU, and only identification needs them.
                let path = nmapProbes == "auto" ? ServiceRules.nmapDefaultPath : nmapProbes
                try ServiceRules.checkNmapServiceProbes(contentsOf: path)
                later = { (try? ServiceRules.nmapServiceProbes(contentsOf: path)).map(rules.merging) ?? rules }
            }
        } catch {
            throw SetupError(.usage, error.description)
        }
        do throws(DurationError) {
            options.portTimeout = try DurationText.nanoseconds(
                settings.bannerTimeout ?? "1.5s", option: "--banner-timeout")
        } catch {
            throw SetupError(.usage, error.description)
        }
        options.byteCap = settings.bannerBytes ?? options.byteCap
        options.forceHTTP = settings.http
        options.userAgent = userAgent
        options.auditRequests = audit?.rules.requests
        let files = (try? settings.outputs.destinations())?.filter { $0.path != nil }.count ?? 0
        if let problem = openFileProblem(outputs: files) {
            throw SetupError(.resources, problem)
        }
        do {
            return try ServiceProber(rules: rules, options: options, later: later)
        } catch {
            throw SetupError(.resources, "cannot set up TLS probing: \(error)")
        }
    }
}
