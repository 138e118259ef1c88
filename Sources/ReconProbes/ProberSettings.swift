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
        do throws(ServiceRulesError) {
            rules = try ServiceRules.load(
                replacing: policies, extra: settings.rulesFiles, nmapProbes: settings.nmapProbes)
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
            return try ServiceProber(rules: rules, options: options)
        } catch {
            throw SetupError(.resources, "cannot set up TLS probing: \(error)")
        }
    }
}
