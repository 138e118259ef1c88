#if Capture
    /// One captured TCP segment as the log keeps it: the header fields a handshake needs and the
    /// endpoints as indexes into the recorder's address table. 26 bytes, 32 with alignment.
    struct PacketRecord: Equatable {
        /// Microseconds since the epoch (libpcap's timestamp).
        var time: Int64
        var source: UInt32
        var destination: UInt32
        var sourcePort: UInt16
        var destinationPort: UInt16
        var window: UInt16
        /// TCP payload length, clamped to 65535.
        var length: UInt16
        var flags: UInt8
        /// IPv4 TTL or IPv6 hop limit.
        var ttl: UInt8
    }

    /// An append-only log of fixed-size records in chunks of `chunkRecords` (2 MiB), so it grows
    /// without copying what it holds and a record costs 32 bytes however many are kept. Written
    /// by one thread (the capture's reading thread); read only after that thread was joined,
    /// which is what makes sharing it sound.
    final class PacketLog: @unchecked Sendable {
        /// Records per chunk; a power of two.
        static let chunkShift = 16
        static let chunkRecords = 1 << chunkShift

        /// Records kept at most (256 MiB): later packets are counted in `overflow`, not kept.
        let capacity: Int
        private(set) var count = 0
        /// Packets offered after the log was full.
        private(set) var overflow = 0

        private let chunks: UnsafeMutablePointer<UnsafeMutablePointer<PacketRecord>>
        private var chunkCount = 0
        /// Where the next record goes, and how many more fit in its chunk.
        private var next: UnsafeMutablePointer<PacketRecord>?
        private var room = 0

        /// A log for `capacity` records at most (a multiple of `chunkRecords` is best); the first
        /// chunk is allocated now, the others when needed.
        init(capacity: Int = 1 << 23) {
            let capacity = max(Self.chunkRecords, capacity)
            self.capacity = capacity
            let chunkLimit = (capacity + Self.chunkRecords - 1) >> Self.chunkShift
            chunks = .allocate(capacity: chunkLimit)
            addChunk()
        }

        deinit {
            for index in 0..<chunkCount { chunks[index].deallocate() }
            chunks.deallocate()
        }

        /// Adds `record` at the end (or counts it in `overflow` when the log is full).
        @inline(__always)
        func append(_ record: PacketRecord) {
            if room == 0 {
                guard count < capacity else {
                    overflow += 1
                    return
                }
                addChunk()
            }
            next.unsafelyUnwrapped.initialize(to: record)
            next = next.unsafelyUnwrapped + 1
            room -= 1
            count += 1
        }

        /// The record appended `index`-th (from 0).
        subscript(index: Int) -> PacketRecord {
            precondition(index >= 0 && index < count, "packet log index out of range")
            return chunks[index >> Self.chunkShift][index & (Self.chunkRecords - 1)]
        }

        private func addChunk() {
            let chunk = UnsafeMutablePointer<PacketRecord>.allocate(capacity: Self.chunkRecords)
            chunks[chunkCount] = chunk
            chunkCount += 1
            next = chunk
            room = min(Self.chunkRecords, capacity - count)
        }
    }
#endif
