import Foundation
import PropertyBased
import Testing

@testable import ReconCore

/// The report's counts for random scans, complete or interrupted: per host, the states and the
/// unscanned ports add up to the ports requested, and every format says the same (the JSON
/// document, the JSON Lines port records and end record, the table's rows and summary line):
/// listed ports plus the summarised closed ones account for every port scanned.
/// 50 cases each: a case encodes up to 500 ports, which takes a while in a debug build.
@Suite("Report count properties")
struct ReportCountPropertyTests {
    /// A random scan: hosts, port ranges, a seed for states and scan order, complete or not,
    /// `--open`, and the table's collapse threshold.
    static let scan = zip(
        Gen<Int>.int(in: 1...3), zip(Gen<UInt16>.value(in: 1...65535), Gen<Int>.int(in: 0...40)).array(of: 1...4),
        Gen<UInt64>.value(), Gen.bool, Gen.bool, Gen<Int>.int(in: 0...30))

    /// SplitMix64: the scan's states and interruption points from one seed, so failures replay.
    struct Mix {
        var state: UInt64
        mutating func next(_ bound: Int) -> Int {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return Int((z ^ (z >> 31)) % UInt64(bound))
        }
    }

    static func result(_ port: UInt16, _ state: PortState, attempts: Int) -> PortResult {
        switch state {
        case .open: return PortResult(port: port, state: .open, reason: .synAck, rttNanoseconds: 40_000)
        case .closed: return PortResult(port: port, state: .closed, reason: .connRefused, rttNanoseconds: 30_000)
        case .filtered:
            return PortResult(
                port: port, state: .filtered, reason: .noResponse, rttNanoseconds: nil, attempts: attempts)
        case .error:
            return PortResult(
                port: port, state: .error, reason: .localError, rttNanoseconds: nil, errno: EMFILE, attempts: attempts)
        }
    }

    struct Scan {
        var report: ScanReport
        var results: [[PortResult]]
        var targets: [AuthorizedTarget]
        var openOnly: Bool
        var collapseAbove: Int
        var listing: PortListing { PortListing(openOnly: openOnly) }

        /// The results a report lists one by one.
        func listed(_ host: Int) -> [PortResult] { results[host].filter(listing.lists) }
    }

    /// What `scan` generates.
    typealias Input = (Int, [(UInt16, Int)], UInt64, Bool, Bool, Int)

    static func make(_ input: Input) throws -> Scan {
        let (hostCount, ranges, seed, complete, openOnly, collapseAbove) = input
        let ports = try PortList(
            parsing: ranges.map { "\($0.0)-\(min(65535, Int($0.0) + $0.1))" }.joined(separator: ","))
        var mix = Mix(state: seed)
        let policy = ScopePolicy.embeddedDefault(interfaceAddresses: [])
        let targets = try policy.authorize(
            (0..<hostCount).map { index in
                ResolvedTarget(
                    spec: "host-\(index)", hostname: index == 1 ? nil : "host-\(index)",
                    addresses: [.v4(0x7F00_0001 + UInt32(index))])
            })
        // Each host scans every port (complete) or a random part of them (interrupted), in a
        // random order as the engine does, and reports them ascending.
        let results = targets.map { _ in
            let share = complete ? 100 : mix.next(101)
            return ports.ports.filter { _ in mix.next(100) < share }.map { port in
                result(port, PortState.allCases[mix.next(4)], attempts: 1 + mix.next(3))
            }
        }
        let outcome = ScanOutcome(
            scanned: results.map(\.count).reduce(0, +), total: ports.ports.count * targets.count,
            estimators: targets.map { _ in RTTEstimator() }, complete: complete,
            stopSignal: complete ? 0 : [SIGINT, SIGTERM][mix.next(2)], localFailures: 0, threads: 1, concurrency: 8)
        let listing = PortListing(openOnly: openOnly)
        // Results reach the tallies in a shuffled order, as from the engine's threads.
        let tallies = results.map { results in
            var tally = HostTally()
            var shuffled = results
            for index in shuffled.indices.reversed() { shuffled.swapAt(index, mix.next(index + 1)) }
            for result in shuffled { tally.record(result, listing: listing) }
            return tally
        }
        let context = ScanContext(
            version: "0.0.0-test", arguments: ["scan"], policySources: policy.sources, ports: ports,
            options: ScanOptions(), startedAt: 1_700_000_000, endedAt: 1_700_000_002.5, listing: listing)
        let report = ReportBuilder.build(targets: targets, tallies: tallies, outcome: outcome, context: context)
        return Scan(
            report: report, results: results, targets: targets, openOnly: openOnly, collapseAbove: collapseAbove)
    }

    static func total(_ counts: StateCounts) -> Int {
        counts.open + counts.closed + counts.filtered + counts.error + counts.unscanned
    }

    @Test func countsAddUpToThePortsScanned() async {
        await propertyCheck(count: 50, input: Self.scan) { input in try Self.checkCounts(input) }
    }

    static func checkCounts(_ input: Input) throws {
        let scan = try Self.make(input)
        let report = scan.report
        let portCount = report.run.portCount
        #expect(report.hosts.count == scan.results.count)
        var sum = StateCounts()
        for (index, (host, results)) in zip(report.hosts, scan.results).enumerated() {
            #expect(Self.total(host.summary) == portCount)
            #expect(host.summary.unscanned == portCount - results.count)
            for state in PortState.allCases {
                #expect(host.summary[state] == results.filter { $0.state == state }.count)
            }
            if report.run.complete { #expect(host.summary.unscanned == 0) }
            #expect(host.ports.map(\.port) == scan.listed(index).map { Int($0.port) }.sorted())
            let summarised = results.filter { $0.state == .closed && !scan.listing.lists($0) }.map(\.port)
            #expect((host.closed?.ports.ports ?? []) == summarised.sorted())
            #expect((host.closed?.count ?? 0) == summarised.count)
            // Without --open, listed and summarised ports are every port scanned.
            if !scan.openOnly { #expect(host.ports.count + (host.closed?.count ?? 0) == results.count) }
            sum = sum + host.summary
        }
        #expect(report.summary == sum)
        #expect(Self.total(report.summary) == portCount * report.hosts.count)
        #expect(report.run.complete == (report.run.interruptedBy == nil))
    }

    @Test func jsonDocumentSaysTheSame() async {
        await propertyCheck(count: 50, input: Self.scan) { input in try Self.checkJSONDocument(input) }
    }

    static func checkJSONDocument(_ input: Input) throws {
        let scan = try Self.make(input)
        let bytes = JSONRendering().document(scan.report)
        #expect(try JSONDecoder().decode(ScanReport.self, from: Data(bytes)) == scan.report)

        // Read as plain JSON, not through recon's own types.
        let json = try #require(try JSONSerialization.jsonObject(with: Data(bytes)) as? [String: Any])
        let run = try #require(json["run"] as? [String: Any])
        let portCount = try #require(run["port_count"] as? Int)
        let hosts = try #require(json["hosts"] as? [[String: Any]])
        var totals = [String: Int]()
        for host in hosts {
            let summary = try #require(host["summary"] as? [String: Int])
            #expect(summary.values.reduce(0, +) == portCount)
            summary.forEach { totals[$0, default: 0] += $1 }
            let listed = try #require(host["ports"] as? [[String: Any]])
            let closed = (host["closed"] as? [String: Any])?["count"] as? Int ?? 0
            for state in PortState.allCases where !scan.openOnly || state == .open || state == .closed {
                let summarised = state == .closed ? closed : 0
                #expect(
                    listed.filter { $0["state"] as? String == state.rawValue }.count + summarised
                        == summary[state.rawValue])
            }
        }
        #expect(json["summary"] as? [String: Int] == totals)
        #expect(totals.values.reduce(0, +) == portCount * hosts.count)
    }

    @Test func jsonLinesSayTheSame() async {
        await propertyCheck(count: 50, input: Self.scan) { input in try Self.checkJSONLines(input) }
    }

    static func checkJSONLines(_ input: Input) throws {
        let scan = try Self.make(input)
        let json = JSONRendering()
        // The port records a scan writes as results arrive (only open ones with --open).
        var lines: [[UInt8]] = []
        for (index, target) in scan.targets.enumerated() {
            for result in scan.listed(index) {
                lines.append(
                    json.line(
                        PortRecord(
                            address: target.address.description, hostname: target.hostname, entry: PortEntry(result))))
            }
        }
        let end = json.line(EndRecord(report: scan.report))
        #expect((lines + [end]).allSatisfy { $0.last == 0x0A && $0.dropLast().allSatisfy { $0 != 0x0A } })

        let records = try lines.map { try JSONDecoder().decode(PortRecord.self, from: Data($0)) }
        let endRecord = try JSONDecoder().decode(EndRecord.self, from: Data(end))
        #expect(endRecord.type == "end")
        #expect(endRecord.summary == scan.report.summary)
        for (index, host) in endRecord.hosts.enumerated() {
            #expect(Self.total(host.summary) == endRecord.run.portCount)
            let mine = records.filter { $0.address == host.address }
            #expect(mine.allSatisfy { $0.hostname == host.hostname })
            for state in PortState.allCases where !scan.openOnly || state == .open || state == .closed {
                let summarised = state == .closed ? host.closed?.count ?? 0 : 0
                #expect(
                    mine.filter { $0.entry.state == state }.count + summarised == host.summary[state], "host \(index)")
            }
        }
        #expect(Self.total(endRecord.summary) == endRecord.run.portCount * endRecord.hosts.count)
    }

    @Test func tableSaysTheSame() async {
        await propertyCheck(count: 50, input: Self.scan, Gen.bool, Gen.bool) { input, showClosed, showFiltered in
            try Self.checkTable(input, showClosed, showFiltered)
        }
    }

    static func checkTable(_ input: Input, _ showClosed: Bool, _ showFiltered: Bool) throws {
        let scan = try Self.make(input)
        let report = scan.report
        var shown: Set<PortState> = []
        if showClosed { shown.insert(.closed) }
        if showFiltered { shown.insert(.filtered) }
        let table = TableRendering(alwaysShown: shown, collapseAbove: scan.collapseAbove).render(report)
        let lines = table.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)

        // Per host: the rows listed plus the "N STATE not shown" line give the host's counts.
        let hostStarts = lines.indices.filter { lines[$0].hasPrefix("Host ") }
        #expect(hostStarts.count == report.hosts.count)
        for (number, start) in hostStarts.enumerated() {
            let end = number + 1 < hostStarts.count ? hostStarts[number + 1] : lines.count
            var counted = [String: Int]()
            for line in lines[start..<end] {
                let words = line.split(separator: " ")
                if words.count >= 2, words[0].hasSuffix("/tcp") {
                    counted[String(words[1]), default: 0] += 1
                } else if line.hasSuffix(" not shown") {
                    for part in line.dropLast(" not shown".count).split(separator: ", ") {
                        let pair = part.split(separator: " ")
                        counted[String(pair[1]), default: 0] += Int(pair[0])!
                    }
                }
            }
            for state in PortState.allCases {
                #expect(counted[state.rawValue, default: 0] == report.hosts[number].summary[state])
            }
        }

        // The summary line: "Scanned N hosts in T s: 3 open, 1 closed, ..., 2 unscanned".
        let summary = try #require(lines.last { $0.hasPrefix("Scanned ") })
        let parts = try #require(summary.split(separator: ": ", maxSplits: 1).last)
        var totals = [String: Int]()
        if parts != "nothing" {
            for part in parts.split(separator: ", ") {
                let pair = part.split(separator: " ")
                totals[String(pair[1])] = Int(pair[0])
            }
        }
        for state in PortState.allCases {
            #expect(totals[state.rawValue, default: 0] == report.summary[state])
        }
        #expect(totals["unscanned", default: 0] == report.summary.unscanned)
        #expect(totals.values.reduce(0, +) == report.run.portCount * report.hosts.count)
        #expect(summary.hasPrefix("Scanned \(report.hosts.count) \(report.hosts.count == 1 ? "host" : "hosts") in "))
        #expect(table.contains("INCOMPLETE: stopped") == !report.run.complete)
    }
}
