import ReconCore
import ReconNmapXML

/// Finds what `recon diff` compares: two operands, each a stored run's id or a report file (recon
/// JSON or nmap XML, `ReportFormats.all`), or
/// none (the store's last two complete runs over the same targets from the same scanner). The
/// store is opened only when a run is involved: two files need no database.
public enum DiffInputs {
    public static func resolve(_ operands: [String], database: String?, environment: [String: String])
        async throws(StoreError) -> (old: DiffOperand, new: DiffOperand)
    {
        guard operands.isEmpty || operands.count == 2 else {
            throw StoreError(.usage, "recon diff takes two operands (run ids or report files), or none")
        }
        let parsed = try operands.map { text throws(StoreError) in try StoredOrFile(text) }
        var store: ScanStore?
        if parsed.isEmpty || parsed.contains(where: { if case .run = $0 { true } else { false } }) {
            store = try await ScanStore.open(StoreLocation(database, environment: environment), creating: false)
        }
        do throws(StoreError) {
            var sides = parsed
            if let store, sides.isEmpty {
                let pair = try await store.lastTwoComparableRuns()
                sides = [.run(pair.old), .run(pair.new)]
            }
            var resolved: [DiffOperand] = []
            for side in sides {
                switch side {
                case .run(let id):
                    guard let store else { throw StoreError(.usage, "run \(id) needs a store") }
                    let (report, scanner) = try await store.report(run: id)
                    resolved.append(DiffOperand(run: id, scanner: scanner, report: report))
                case .file(let path):
                    do {
                        resolved.append(
                            DiffOperand(file: path, report: try ReportFile.read(path, decoders: ReportFormats.all)))
                    } catch {
                        throw StoreError(.usage, error.description)
                    }
                }
            }
            await store?.close()
            return (resolved[0], resolved[1])
        } catch {
            await store?.close()
            throw error
        }
    }
}
