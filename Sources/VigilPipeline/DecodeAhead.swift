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

    private let queue: BoundedQueue<Piece>
    private let spareLock = NSLock()
    private var spare: [[UInt8]] = []
    private var end: End?
    let pieceBytes: Int

    init(depth: Int = 6, pieceBytes: Int = 256 * 1024) {
        queue = BoundedQueue(capacity: depth)
        self.pieceBytes = pieceBytes
    }

    /// Starts reading `input` from byte `seek` in the background.
    func start(_ input: Input, seek: Int64) {
        let thread = Thread { [self] in
            let decoder = StreamDecoder(outputChunk: pieceBytes)
            var raw = seek
            var failure: FramingError?
            var piece = takeSpare()
            /// Queues the piece and starts a new one; false when the consumer has gone.
            func ship() -> Bool {
                guard queue.put(Piece(bytes: piece, rawBytes: raw)) else { return false }
                piece = takeSpare()
                return true
            }
            do {
                try ChunkReader.read(input, from: seek) { chunk, final in
                    raw += Int64(chunk.count)
                    guard failure == nil else { return }   // the rest is only counted, as one thread does
                    var gone = false
                    do {
                        try decoder.decode(chunk, final: final) { out in
                            guard !gone else { return }
                            piece.append(contentsOf: out)
                            if piece.count >= pieceBytes && !ship() { gone = true }
                        }
                    } catch let f as FramingError {
                        failure = f
                    }
                    // Each raw chunk's decoded bytes go on at once (so progress follows the input).
                    if gone || (!piece.isEmpty && !ship()) { throw CancellationError() }
                }
                spareLock.lock()
                end = End(rawBytes: raw, failure: failure)
                spareLock.unlock()
                queue.finish(nil)
            } catch {
                queue.finish(error)
            }
        }
        thread.stackSize = 1 << 20
        thread.start()
    }

    private func takeSpare() -> [UInt8] {
        spareLock.lock()
        var b = spare.popLast() ?? []
        spareLock.unlock()
        b.removeAll(keepingCapacity: true)
        if b.capacity < pieceBytes { b.reserveCapacity(pieceBytes + pieceBytes / 4) }
        return b
    }

    /// The next piece, or nil at the end (then ``ending()`` says how it ended). Rethrows a read error
    /// after the last piece.
    func next() throws -> Piece? { try queue.next() }

    /// How the input ended (after ``next()`` returned nil).
    func ending() -> End {
        spareLock.lock()
        defer { spareLock.unlock() }
        return end ?? End(rawBytes: 0, failure: nil)
    }

    /// Gives a consumed piece's buffer back for reuse.
    func recycle(_ bytes: [UInt8]) {
        spareLock.lock()
        if spare.count < 4 { spare.append(bytes) }
        spareLock.unlock()
    }

    /// Stops the reading thread (the consumer has gone); does not wait for it.
    func cancel() { queue.cancel() }
}
