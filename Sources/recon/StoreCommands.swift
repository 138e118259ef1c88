import ArgumentParser
import ReconCore
import ReconRunner
import ReconStore

/// `--save` and `--db`, for `recon scan` and `recon audit`.
struct StoreArguments: ParsableArguments {
    @Flag(help: "Save the run in the store (see --db).")
    var save = false
    @Option(help: "Store: an SQLite file, or postgresql://USER@HOST:PORT/DB (default: ~/.local/share/recon).")
    var db: String?

    func validate(baseline: String?) throws {
        if db != nil && !save && !(baseline.map(StoredOrFile.isRunID) ?? false) {
            throw ValidationError("--db needs --save or --baseline RUN: nothing else uses the store")
        }
    }
}

/// `recon history [TARGET...]`: the stored runs, newest first.
struct HistoryCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "history", abstract: "List the runs saved with --save, newest first.")

    @Argument(help: "Only runs that scanned one of these (address, CIDR block, host name).")
    var targets: [String] = []
    @Option(help: "Store: an SQLite file, or postgresql://USER@HOST:PORT/DB (default: ~/.local/share/recon).")
    var db: String?
    @Option(help: "At most this many runs.")
    var limit: Int?
    @Option(help: "Output format: table or json.")
    var format: HistoryFormat = .table

    func validate() throws {
        if let limit, limit < 1 { throw ValidationError("--limit takes a number of runs, 1 or more") }
    }

    mutating func run() async throws {
        do {
            let store = try await ScanStore.open(
                StoreLocation(db, environment: StoreLocation.processEnvironment), creating: false)
            let entries = try await store.history(targets: targets, limit: limit)
            await store.close()
            FileOutput.standardOutput.write(
                HistoryRendering.render(entries, store: store.location.description, as: format))
        } catch {
            throw ReconFailure(error)
        }
    }
}

/// `recon diff [OLD NEW]`: what changed between two runs or report files; exit 7 on changes.
struct DiffCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "diff",
        abstract: "Compare two scans (stored runs, JSON reports or nmap XML); exit 7 when they differ.",
        discussion: """
            Without operands: the store's last two complete runs over the same targets.
              recon diff                     recon diff 12 15
              recon diff old.json new.json   recon diff 12 new.json --format json
              recon diff nmap-old.xml new.json  (nmap -oX, or recon --format xml)
            """)

    @Argument(help: "Two stored run ids or report files: recon JSON or nmap XML (a file named with digits: ./12).")
    var operands: [String] = []
    @Option(help: "Store: an SQLite file, or postgresql://USER@HOST:PORT/DB (default: ~/.local/share/recon).")
    var db: String?
    @Option(help: "Output format: table, json or jsonl.")
    var format: DiffFormat = .table

    mutating func run() async throws {
        let sides: (old: DiffOperand, new: DiffOperand)
        do {
            sides = try await DiffInputs.resolve(operands, database: db, environment: StoreLocation.processEnvironment)
        } catch {
            throw ReconFailure(error)
        }
        let diff = ScanDiff(old: sides.old, new: sides.new)
        FileOutput.standardOutput.write(DiffRendering().render(diff, as: format))
        if diff.changed { throw ExitCode(ExitStatus.changes.rawValue) }
    }
}

extension HistoryFormat: ExpressibleByArgument {}
extension DiffFormat: ExpressibleByArgument {}
