package io.bimm.flink.ingest.live;

import io.bimm.flink.decode.OpenOrClose;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.BooleanSupplier;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * One connection to an operator's live URL: FFmpeg opens it with exactly its {@link SourceFamily}'s
 * protocols and demuxers, and every blocking call (connect, probe, read) is bounded by FFmpeg's
 * {@code rw_timeout}/{@code timeout} and by an interrupt callback that ends it when no packet came
 * for the read timeout, or when following stops.
 *
 * <p>This is the only place bimm opens a URL with FFmpeg; the bytes of files and records are opened
 * by {@link io.bimm.flink.decode.MediaInput}, with no protocol at all. Not thread safe.
 */
final class LiveInput implements OpenOrClose.Input {

    /** Why reading ended. */
    enum End {
        /** The source closed the stream. */
        END_OF_STREAM,
        /** No packet for the read timeout. */
        STALLED,
        /** Following was stopped. */
        STOPPED,
        /** A read error. */
        ERROR
    }

    /** FFmpeg's AVERROR(ETIMEDOUT) on Linux and macOS (errno 110 and 60). */
    private static final int AVERROR_ETIMEDOUT =
            System.getProperty("os.name", "").toLowerCase(java.util.Locale.ROOT).contains("mac")
                    ? -60
                    : -110;

    /** The open inputs, by the address of their format context (the callback's opaque). */
    private static final Map<Long, LiveInput> OPEN = new ConcurrentHashMap<>();

    // One callback instance for the process: JavaCPP gives each callback class few slots.
    private static final Interrupt INTERRUPT = new Interrupt();

    /** Extra time allowed to open and probe a stream, beyond the read timeout. */
    private static final long OPEN_GRACE_NANOS = Duration.ofSeconds(10).toNanos();

    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    }

    private final BooleanSupplier stopped;
    private final long readTimeoutNanos;
    private volatile long deadline;
    private volatile boolean stalled;
    private AVFormatContext ic;
    private long key;
    private boolean opened;
    private int videoStream = -1;
    private int lastError;

    private LiveInput(BooleanSupplier stopped, Duration readTimeout) {
        this.stopped = stopped;
        this.readTimeoutNanos = readTimeout.toNanos();
    }

    /**
     * Connects to {@code source} and reads its stream information.
     *
     * @param maxPixels largest frame the decoders that probe the stream may allocate
     * @throws LiveSourceException when it cannot be opened, has no video, or was stopped
     */
    static LiveInput open(
            LiveSource source, Duration readTimeout, long maxPixels, BooleanSupplier stopped)
            throws LiveSourceException {
        return OpenOrClose.open(
                new LiveInput(stopped, readTimeout), in -> in.connect(source, maxPixels));
    }

    private void connect(LiveSource source, long maxPixels) throws LiveSourceException {
        deadline = System.nanoTime() + readTimeoutNanos + OPEN_GRACE_NANOS;
        ic = avformat.avformat_alloc_context();
        key = ic.address();
        OPEN.put(key, this);
        AVIOInterruptCB cb = new AVIOInterruptCB();
        cb.callback(INTERRUPT).opaque(ic);
        ic.interrupt_callback(cb);

        SourceFamily family = source.family();
        String micros = Long.toString(readTimeoutNanos / 1000);
        AVDictionary opts = new AVDictionary(null);
        int ret;
        try {
            // Exactly the family's protocols: a playlist or a redirect can reach nothing else.
            avutil.av_dict_set(opts, "protocol_whitelist", family.protocolWhitelist(), 0);
            avutil.av_dict_set(opts, "format_whitelist", family.formatWhitelist(), 0);
            avutil.av_dict_set(opts, "rw_timeout", micros, 0);
            if (family.takesSocketTimeout()) {
                avutil.av_dict_set(opts, "timeout", micros, 0);
            }
            if (family == SourceFamily.FILE) {
                // Keep reading at the end of a file that is still written (ended by rw_timeout).
                avutil.av_dict_set(opts, "follow", "1", 0);
            }
            ret = avformat.avformat_open_input(ic, source.url(), null, opts);
        } finally {
            avutil.av_dict_free(opts);
        }
        if (ret < 0) {
            // avformat_open_input frees the context on failure.
            OPEN.remove(key);
            ic = null;
            throw failure("cannot open it", ret);
        }
        opened = true;
        findStreamInfo(maxPixels);
        videoStream = firstVideoStream();
        if (videoStream < 0) {
            throw new LiveSourceException(
                    "it has no video stream (" + ic.iformat().name().getString() + ")");
        }
    }

    private void findStreamInfo(long maxPixels) throws LiveSourceException {
        int n = ic.nb_streams();
        PointerPointer<AVDictionary> opts = new PointerPointer<>(Math.max(1, n));
        try {
            for (int i = 0; i < n; i++) {
                AVDictionary d = new AVDictionary(null);
                avutil.av_dict_set(d, "max_pixels", Long.toString(maxPixels), 0);
                opts.put(i, d);
            }
            int ret = avformat.avformat_find_stream_info(ic, opts);
            if (ret < 0 && (stopped.getAsBoolean() || pastDeadline())) {
                throw failure("cannot read its stream information", ret);
            }
        } finally {
            for (int i = 0; i < n; i++) {
                AVDictionary d = opts.get(AVDictionary.class, i);
                if (d != null && !d.isNull()) {
                    avutil.av_dict_free(d);
                }
            }
            opts.close();
        }
    }

    private LiveSourceException failure(String what, int ret) {
        if (stopped.getAsBoolean()) {
            return new LiveSourceException("stopped", End.STOPPED);
        }
        if (pastDeadline()) {
            return new LiveSourceException(what + ": no answer in time", End.STALLED);
        }
        return new LiveSourceException(what + " (" + error(ret) + ")");
    }

    private int firstVideoStream() {
        for (int i = 0; i < ic.nb_streams(); i++) {
            AVCodecParameters par = ic.streams(i).codecpar();
            if (par.codec_type() == avutil.AVMEDIA_TYPE_VIDEO
                    && par.codec_id() != avcodec.AV_CODEC_ID_NONE) {
                return i;
            }
        }
        return -1;
    }

    AVFormatContext context() {
        return ic;
    }

    int videoStream() {
        return videoStream;
    }

    /** The demuxer's first name ({@code mpegts}, {@code rtsp}, {@code hls}, ...). */
    String format() {
        String names = ic.iformat().name().getString();
        int comma = names.indexOf(',');
        return comma < 0 ? names : names.substring(0, comma);
    }

    /**
     * Reads the next packet; the read timeout starts again with every packet.
     *
     * @return null when a packet was read, else why reading ended
     */
    End read(AVPacket pkt) {
        deadline = System.nanoTime() + readTimeoutNanos;
        int ret = avformat.av_read_frame(ic, pkt);
        if (ret >= 0) {
            return null;
        }
        lastError = ret;
        if (stopped.getAsBoolean()) {
            return End.STOPPED;
        }
        // Stalled once is stalled: a demuxer may still return what it had buffered, and FFmpeg's
        // own timeouts may end the read first.
        if (stalled || pastDeadline() || ret == AVERROR_ETIMEDOUT) {
            return End.STALLED;
        }
        return ret == avutil.AVERROR_EOF ? End.END_OF_STREAM : End.ERROR;
    }

    /** FFmpeg's message for the last failed read. */
    String lastError() {
        return error(lastError);
    }

    private boolean pastDeadline() {
        return System.nanoTime() - deadline > 0;
    }

    private boolean interrupted() {
        if (stopped.getAsBoolean()) {
            return true;
        }
        if (pastDeadline()) {
            stalled = true;
            return true;
        }
        return false;
    }

    static String error(int ret) {
        BytePointer buf = new BytePointer(256);
        try {
            avutil.av_strerror(ret, buf, 256);
            String s = buf.getString();
            int nul = s.indexOf('\0');
            return nul < 0 ? s : s.substring(0, nul);
        } finally {
            buf.close();
        }
    }

    @Override
    public void close() {
        OPEN.remove(key);
        if (ic != null) {
            if (opened) {
                avformat.avformat_close_input(ic);
            } else {
                avformat.avformat_free_context(ic);
            }
            ic = null;
        }
    }

    /** FFmpeg's interrupt callback: non-zero ends whatever blocking call it is in. */
    private static final class Interrupt extends AVIOInterruptCB.Callback_Pointer {
        @Override
        public int call(Pointer opaque) {
            LiveInput in = opaque == null ? null : OPEN.get(opaque.address());
            return in != null && in.interrupted() ? 1 : 0;
        }
    }
}
