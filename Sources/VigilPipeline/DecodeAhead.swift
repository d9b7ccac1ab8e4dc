import Foundation
import VigilFraming
import VigilSources

/// Reads and decompresses one input on its own thread, a few hundred kilobytes ahead of the thread
/// that frames and parses it.
///
/// Why: zstd and gzip decoding cost about as much as the fast path's parse of what they produce;
/// on a second core the two overlap. Order and content are unchanged (one producer, one consumer,
/// FIFO), so what comes out is what one thread would make. Memory is bounded: at most `depth`
/// decoded pieces of about `pieceBytes` wait, and their buffers are reused.
final class DecodeAhead: @unchecked Sendable {
    /// Decoded bytes, with the raw bytes of the input read when they were produced.
    struct Piece {
        var bytes: [UInt8]
        var rawBytes: Int64
    }

    /// How the input ended: the raw bytes read, and the decoder's failure, if any.
    struct End {
        var rawBytes: Int64
        var failure: FramingError?
    }

    private let lock = NSCondition()
    private var pieces: [Piece] = []
    private var spare: [[UInt8]] = []
    private var end: End?
    private var error: (any Error)?
    private var cancelled = false
    private var running = false
    private let depth: Int
    let pieceBytes: Int

    init(depth: Int = 6, pieceBytes: Int = 256 * 1024) {
        self.depth = depth
        self.pieceBytes = pieceBytes
    }

    /// Starts reading `input` from byte `seek` in the background.
    func start(_ input: Input, seek: Int64) {
        running = true
        let thread = Thread { [self] in
            let decoder = StreamDecoder(outputChunk: pieceBytes)
            var raw = seek
            var failure: FramingError?
            var piece = takeSpare()
            do {
                try ChunkReader.read(input, from: seek) { chunk, final in
                    raw += Int64(chunk.count)
                    guard failure == nil else { return }   // the rest is only counted, as one thread does
                    var gone = false
                    do {
                        try decoder.decode(chunk, final: final) { out in
                            guard !gone else { return }
                            piece.append(contentsOf: out)
                            if piece.count >= pieceBytes {
                                if let next = put(piece, raw: raw) { piece = next } else { gone = true }
                            }
                        }
                    } catch let f as FramingError {
                        failure = f
                    }
                    if gone { throw CancellationError() }
                    // Each raw chunk's decoded bytes go on at once (so progress follows the input).
                    if !piece.isEmpty {
                        guard let next = put(piece, raw: raw) else { throw CancellationError() }
                        piece = next
                    }
                }
                finish(End(rawBytes: raw, failure: failure), nil)
            } catch {
                finish(nil, error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func takeSpare() -> [UInt8] {
        lock.lock()
        defer { lock.unlock() }
        var b = spare.popLast() ?? []
        b.removeAll(keepingCapacity: true)
        if b.capacity < pieceBytes { b.reserveCapacity(pieceBytes + pieceBytes / 4) }
        return b
    }

    /// Queues `bytes` (waiting for room) and returns an empty buffer for the next piece; nil when
    /// the consumer has gone.
    private func put(_ bytes: [UInt8], raw: Int64) -> [UInt8]? {
        lock.lock()
        while pieces.count >= depth && !cancelled { lock.wait() }
        if cancelled { lock.unlock(); return nil }
        pieces.append(Piece(bytes: bytes, rawBytes: raw))
        lock.broadcast()
        lock.unlock()
        return takeSpare()
    }

    private func finish(_ e: End?, _ failure: (any Error)?) {
        lock.lock()
        end = e
        error = failure
        running = false
        lock.broadcast()
        lock.unlock()
    }

    /// The next piece, or nil at the end (then ``ending()`` says how it ended). Rethrows a read error
    /// after the last piece.
    func next() throws -> Piece? {
        lock.lock()
        defer { lock.unlock() }
        while pieces.isEmpty && running { lock.wait() }
        if !pieces.isEmpty {
            let p = pieces.removeFirst()
            lock.broadcast()
            return p
        }
        if let e = error, !(e is CancellationError) { throw e }
        return nil
    }

    /// How the input ended (after ``next()`` returned nil).
    func ending() -> End {
        lock.lock()
        defer { lock.unlock() }
        return end ?? End(rawBytes: 0, failure: nil)
    }

    /// Gives a consumed piece's buffer back for reuse.
    func recycle(_ bytes: [UInt8]) {
        lock.lock()
        if spare.count < depth { spare.append(bytes) }
        lock.unlock()
    }

    /// Stops the reading thread (the consumer has gone) and waits until it has.
    func cancel() {
        lock.lock()
        cancelled = true
        lock.broadcast()
        while running { lock.wait() }
        lock.unlock()
    }
}
