import NIOCore
import NIOPosix
import NIOSSL
import NIOTLS
import ReconCore

/// One connection's plan: wait for a greeting, then (only if the port stayed silent) send a payload
/// and read the reply; optionally inside TLS.
struct ExchangePlan: Sendable {
    /// Wait this long for the service to speak first; nil sends at once (after the TLS handshake).
    var greetingWait: TimeAmount?
    /// Sent after silence (or at once); nil only listens.
    var payload: [UInt8]?
    /// When set, the payload goes out as soon as the greeting matches this (and not after
    /// silence): a conversation that follows a greeting.
    var awaitGreeting: ReplyExpectation?
    /// Further turns: once the reply so far matches the next turn's expectation, its bytes go out.
    var turns: [ConversationTurn] = []
    /// Stop reading when the HTTP response is complete.
    var isHTTP = false
    /// Wrap the connection in TLS.
    var tls = false
    /// SNI name for TLS.
    var serverName: String?
    /// Caps on the greeting and on the reply (HTTP replies get a larger one).
    var greetingCap: Int
    var replyCap: Int
    var idleGap: TimeAmount
    var deadline: NIODeadline
}

/// What one connection produced.
struct ExchangeResult: Sendable {
    var greeting: [UInt8] = []
    var greetingTruncated = false
    /// The reply to the payload; nil if nothing was sent.
    var reply: [UInt8]?
    var replyTruncated = false
    var ended: ExchangeEnd = .error
    /// With `.local`: the errno that stopped the connect.
    var localErrno: Int32 = 0
    var tls: TLSInfo?
    /// The HTTP head of the reply, parsed once while reading (HTTP plans only).
    var head: HTTPHead?

    init(ended: ExchangeEnd = .error, localErrno: Int32 = 0) {
        self.ended = ended
        self.localErrno = localErrno
    }

    /// The result of a connect that failed with `error`.
    init(connectError error: any Error) {
        (ended, localErrno) = ExchangeHandler.classify(error)
    }
}

/// Runs exchanges on an event loop group.
struct PortExchanger: Sendable {
    let group: any EventLoopGroup
    let tlsContext: NIOSSLContext

    /// The TLS client context for probing (no verification: recon describes, it does not trust).
    static func makeTLSContext() throws -> NIOSSLContext {
        var configuration = TLSConfiguration.makeClientConfiguration()
        configuration.certificateVerification = .none
        configuration.minimumTLSVersion = .tlsv1
        return try NIOSSLContext(configuration: configuration)
    }

    /// Connects to `address` and carries out `plan`. Never throws: failures are in `ended`.
    /// Cancelling the calling task closes the connection at once and returns what was read
    /// so far, ended `.interrupted`.
    func run(_ plan: ExchangePlan, to address: SocketAddress) async -> ExchangeResult {
        guard !Task.isCancelled else { return ExchangeResult(ended: .interrupted) }
        let loop = group.next()
        let promise = loop.makePromise(of: ExchangeResult.self)
        let timeout = plan.deadline - .now()
        guard timeout > .zero else { return ExchangeResult(ended: .deadline) }
        let tlsContext = self.tlsContext
        // The exchange's handler once the channel has one, and whether the task was cancelled;
        // touched on `loop` only.
        let control = NIOLoopBoundBox.makeBoxSendingValue(ExchangeControl(), eventLoop: loop)
        let bootstrap = ClientBootstrap(group: loop)
            .connectTimeout(timeout)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // Cancelled before the socket was set up: fail the connect, which closes it.
                    if control.value.cancelled { throw CancellationError() }
                    let collector: ExchangeHandler
                    if plan.tls {
                        let sniffer = ServerHelloSniffer()
                        let tls = try NIOSSLClientHandler(context: tlsContext, serverHostname: plan.serverName)
                        collector = ExchangeHandler(plan: plan, promise: promise, tls: (tls, sniffer))
                        try channel.pipeline.syncOperations.addHandlers([sniffer, tls, collector])
                    } else {
                        collector = ExchangeHandler(plan: plan, promise: promise, tls: nil)
                        try channel.pipeline.syncOperations.addHandler(collector)
                    }
                    control.value.handler = collector
                }
            }
        let connect = bootstrap.connect(to: address)
        connect.whenFailure { error in
            // Completing an already completed promise (the handler finished first) does nothing.
            promise.succeed(ExchangeResult(connectError: error))
        }
        let result = await withTaskCancellationHandler {
            (try? await promise.futureResult.get()) ?? ExchangeResult(ended: .error)
        } onCancel: {
            loop.execute {
                control.value.cancelled = true
                if let handler = control.value.handler {
                    handler.interrupt()
                } else {
                    promise.succeed(ExchangeResult(ended: .interrupted))
                }
            }
        }
        if let channel = try? await connect.get() { try? await channel.close() }
        return result
    }
}

/// What `PortExchanger.run` needs to stop an exchange from outside its event loop.
private struct ExchangeControl {
    var handler: ExchangeHandler?
    var cancelled = false
}

/// Copies the first bytes from the server before TLS decrypts them: the ServerHello names the
/// version and cipher in plain text.
final class ServerHelloSniffer: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    private(set) var bytes: [UInt8] = []

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        if bytes.count < 8192 {
            let buffer = unwrapInboundIn(data)
            bytes += buffer.readableBytesView.prefix(8192 - bytes.count)
        }
        context.fireChannelRead(data)
    }
}

/// Collects what a port says, per `ExchangePlan`, and fulfils the promise exactly once.
final class ExchangeHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    private enum Phase { case connecting, greeting, reply, done }

    private let plan: ExchangePlan
    private let promise: EventLoopPromise<ExchangeResult>
    private let tls: (handler: NIOSSLClientHandler, sniffer: ServerHelloSniffer)?
    private var phase = Phase.connecting
    private var result = ExchangeResult()
    /// The conversation's turns still to take.
    private var turns: ArraySlice<ConversationTurn>
    /// The length of the complete HTTP response, once its head told it.
    private var completeLength: Int?
    private var idleTimer: Scheduled<Void>?
    private var greetingTimer: Scheduled<Void>?
    private var deadlineTimer: Scheduled<Void>?

    /// The handler's place in the pipeline while it is in one (for `interrupt()`).
    private var context: ChannelHandlerContext?

    init(
        plan: ExchangePlan, promise: EventLoopPromise<ExchangeResult>,
        tls: (handler: NIOSSLClientHandler, sniffer: ServerHelloSniffer)?
    ) {
        self.plan = plan
        self.promise = promise
        self.tls = tls
        turns = plan.turns[...]
    }

    func handlerAdded(context: ChannelHandlerContext) {
        self.context = context
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.context = nil
    }

    /// Ends the exchange now (the scan is being stopped), keeping what was read, and closes the
    /// connection, also one still connecting.
    func interrupt() {
        if let context {
            finish(context: context, .interrupted)
        } else if phase != .done {
            phase = .done
            promise.succeed(ExchangeResult(ended: .interrupted))
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        deadlineTimer = context.eventLoop.scheduleTask(deadline: plan.deadline) {
            let (handler, context) = loopBound.value
            handler.finish(context: context, .deadline)
        }
        if tls == nil { start(context: context) }
        context.fireChannelActive()
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .handshakeCompleted = event as? TLSUserEvent { start(context: context) }
        context.fireUserInboundEventTriggered(event)
    }

    private func start(context: ChannelHandlerContext) {
        guard phase == .connecting else { return }
        if let wait = plan.greetingWait {
            phase = .greeting
            let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
            greetingTimer = context.eventLoop.scheduleTask(in: wait) {
                let (handler, context) = loopBound.value
                handler.greetingEnded(context: context)
            }
        } else {
            send(context: context)
        }
    }

    private func greetingEnded(context: ChannelHandlerContext) {
        guard phase == .greeting else { return }
        if result.greeting.isEmpty && plan.payload != nil && plan.awaitGreeting == nil {
            send(context: context)
        } else {
            finish(context: context, .idle)
        }
    }

    private func send(context: ChannelHandlerContext) {
        guard let payload = plan.payload else {
            phase = .greeting
            return
        }
        phase = .reply
        result.reply = []
        context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: payload)), promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard phase != .done else { return }
        let buffer = unwrapInboundIn(data)
        var reachedCap = false
        if phase == .reply {
            // Appended in place (`send` made it empty): a local copy would copy the whole reply
            // on every read.
            let room = plan.replyCap - (result.reply?.count ?? 0)
            result.reply?.append(contentsOf: buffer.readableBytesView.prefix(max(0, room)))
            reachedCap = buffer.readableBytes >= room
            result.replyTruncated = buffer.readableBytes > room
            if plan.isHTTP, let reply = result.reply {
                // The head is parsed once it is complete, and the response's length known then.
                if result.head == nil {
                    let head = HTTPHead(reply)
                    if head.end != nil {
                        result.head = head
                        completeLength = HTTPResponse.completeLength(reply, head: head)
                    }
                }
                if let completeLength, reply.count >= completeLength {
                    finish(context: context, .complete)
                    return
                }
            }
            // The conversation's next turn, once the reply so far is what it waits for.
            if !reachedCap, let turn = turns.first, let reply = result.reply, turn.expect.isMet(by: reply) {
                turns.removeFirst()
                idleTimer?.cancel()
                context.writeAndFlush(NIOAny(context.channel.allocator.buffer(bytes: turn.send)), promise: nil)
            }
        } else {
            // Bytes before any payload are the greeting (also while still connecting in TLS).
            phase = .greeting
            greetingTimer?.cancel()
            let room = plan.greetingCap - result.greeting.count
            result.greeting += buffer.readableBytesView.prefix(max(0, room))
            reachedCap = buffer.readableBytes >= room
            result.greetingTruncated = buffer.readableBytes > room
            // A conversation that follows a greeting starts once the greeting is the one expected.
            if !reachedCap, let expected = plan.awaitGreeting, expected.isMet(by: result.greeting) {
                idleTimer?.cancel()
                send(context: context)
                return
            }
        }
        if reachedCap {
            finish(context: context, .cap)
            return
        }
        idleTimer?.cancel()
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        idleTimer = context.eventLoop.scheduleTask(in: plan.idleGap) {
            let (handler, context) = loopBound.value
            handler.finish(context: context, .idle)
        }
    }

    func channelInactive(context: ChannelHandlerContext) {
        finish(context: context, .closed)
        context.fireChannelInactive()
    }

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        let (end, code) = Self.classify(error)
        result.localErrno = code
        finish(context: context, end)
    }

    private func finish(context: ChannelHandlerContext, _ end: ExchangeEnd) {
        guard phase != .done else { return }
        phase = .done
        for timer in [idleTimer, greetingTimer, deadlineTimer] { timer?.cancel() }
        result.ended = end
        if let tls {
            result.tls = Self.tlsInfo(handler: tls.handler, sniffed: tls.sniffer.bytes)
        }
        promise.succeed(result)
        context.close(promise: nil)
    }

    /// How an error ends an exchange (classified on errno, never on text), with the errno of
    /// a local failure.
    static func classify(_ error: any Error) -> (ExchangeEnd, Int32) {
        if let error = error as? IOError {
            switch error.errnoCode {
            case ECONNREFUSED: return (.refused, 0)
            case ECONNRESET, EPIPE: return (.reset, 0)
            case let code where ConnectOutcome.classify(errno: code) == .localFailure: return (.local, code)
            default: return (.error, 0)
            }
        }
        if case .connectTimeout? = error as? ChannelError { return (.deadline, 0) }
        if error is CancellationError { return (.interrupted, 0) }
        return (.error, 0)
    }

    private static func tlsInfo(handler: NIOSSLClientHandler, sniffed: [UInt8]) -> TLSInfo? {
        // Only a ServerHello proves TLS; a failed handshake leaves none.
        guard let hello = TLSServerHello.parse(sniffed) else { return nil }
        var info = TLSInfo(version: hello.version, cipher: hello.cipher)
        if let certificate = handler.peerCertificate {
            info.subject = distinguishedName(certificate.subjectName)
            info.issuer = distinguishedName(certificate.issuerName)
            let names = certificate._subjectAlternativeNames().compactMap { name -> String? in
                switch name.nameType {
                case .dnsName: return String(decoding: name.contents, as: UTF8.self)
                case .ipAddress: return ipText(Array(name.contents))
                default: return nil
                }
            }
            info.subjectAlternativeNames = names.isEmpty ? nil : names
            info.notBefore = Timestamp.rfc3339(Double(certificate.notValidBefore))
            info.notAfter = Timestamp.rfc3339(Double(certificate.notValidAfter))
        }
        return info
    }

    private static func distinguishedName(_ names: [SSLCertificateName]) -> String? {
        let labels: [(SSLCertificateNameType, String)] = [
            (.commonName, "CN"), (.organization, "O"), (.organizationalUnit, "OU"), (.city, "L"),
            (.state, "ST"), (.country, "C"), (.emailAddress, "emailAddress"),
        ]
        let parts = names.map { name in
            (labels.first { $0.0 == name.type }?.1 ?? "?") + "=" + name.value
        }
        return parts.isEmpty ? nil : parts.joined(separator: ", ")
    }

    private static func ipText(_ bytes: [UInt8]) -> String? {
        if bytes.count == 4 { return bytes.map(String.init).joined(separator: ".") }
        guard bytes.count == 16 else { return nil }
        var value: UInt128 = 0
        for byte in bytes { value = value << 8 | UInt128(byte) }
        return IPAddress.v6(value).description
    }
}
