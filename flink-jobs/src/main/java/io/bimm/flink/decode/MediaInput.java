package io.bimm.flink.decode;

import io.bimm.schemas.DeadLetterReason;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.bytedeco.ffmpeg.avcodec.AVCodecParameters;
import org.bytedeco.ffmpeg.avcodec.AVPacket;
import org.bytedeco.ffmpeg.avformat.AVFormatContext;
import org.bytedeco.ffmpeg.avformat.AVIOContext;
import org.bytedeco.ffmpeg.avformat.AVIOInterruptCB;
import org.bytedeco.ffmpeg.avformat.AVInputFormat;
import org.bytedeco.ffmpeg.avformat.Read_packet_Pointer_BytePointer_int;
import org.bytedeco.ffmpeg.avformat.Seek_Pointer_long_int;
import org.bytedeco.ffmpeg.avutil.AVDictionary;
import org.bytedeco.ffmpeg.global.avcodec;
import org.bytedeco.ffmpeg.global.avformat;
import org.bytedeco.ffmpeg.global.avutil;
import org.bytedeco.javacpp.BytePointer;
import org.bytedeco.javacpp.Pointer;
import org.bytedeco.javacpp.PointerPointer;

/**
 * Untrusted container bytes opened with FFmpeg so that they can name nothing else: FFmpeg reads
 * them from memory through a custom I/O context (no protocol, no path), only the demuxers of {@link
 * VideoContainer} are accepted (the format is probed here and refused before any demuxer reads a
 * header), every nested open is refused, and one deadline holds opening, probing and demuxing
 * (checked on every read and by FFmpeg's interrupt callback).
 *
 * <p>Files on disk are read into memory by the caller and opened the same way, so a playlist or
 * concat list on disk cannot reach another file either. Not thread safe; one instance per input.
 */
public final class MediaInput implements OpenOrClose.Input {
    /** Checks a frame size the headers state; throws when it is over the limits. */
    @FunctionalInterface
    public interface SizeCheck {
        void check(int width, int height) throws DecodeException;
    }

    /** Any frame size: for callers that do not decode (FFmpeg's own limits still apply). */
    public static final SizeCheck ANY_SIZE = (w, h) -> {};

    /** No deadline: for callers bounded by the input's size alone. */
    public static final long NO_DEADLINE = Long.MAX_VALUE;

    private static final int BUFFER_SIZE = 64 * 1024;

    /** The open inputs, by the address of their format context (the callbacks' opaque). */
    private static final Map<Long, MediaInput> OPEN = new ConcurrentHashMap<>();

    // One instance of each callback for the process: JavaCPP gives each callback class few slots.
    private static final Reader READER = new Reader();
    private static final Seeker SEEKER = new Seeker();
    private static final Interrupt INTERRUPT = new Interrupt();
    private static final RefuseOpen REFUSE_OPEN = new RefuseOpen();

    static {
        avutil.av_log_set_level(avutil.AV_LOG_QUIET);
    }

    private final byte[] data;
    private final long deadline;
    private AVFormatContext ic;
    private long key;
    private AVIOContext pb;
    private boolean opened;
    private int position;
    private int videoStream = -1;
    private String format = "";

    private MediaInput(byte[] data, long deadline) {
        this.data = data;
        this.deadline = deadline;
    }

    /**
     * Opens {@code data} and reads its stream information, the decoders that takes held to {@code
     * maxPixels} per frame; the video frame size the headers state goes to {@code sizes} before any
     * decoder runs and again after. Messages say "it" for the input: the caller names the file or
     * clip.
     *
     * @param deadline {@link System#nanoTime()} by which opening and every later read must be done,
     *     or {@link #NO_DEADLINE}
     * @throws DecodeException {@code not_video} when the format is not an allowed video container
     *     or FFmpeg cannot open it or it has no video stream; {@code limit_exceeded} past the
     *     deadline, or from {@code sizes}
     */
    public static MediaInput open(byte[] data, long deadline, long maxPixels, SizeCheck sizes)
            throws DecodeException {
        return OpenOrClose.open(
                new MediaInput(data, deadline), in -> in.openInput(maxPixels, sizes));
    }

    private void openInput(long maxPixels, SizeCheck sizes) throws DecodeException {
        if (data.length == 0) {
            throw notVideo("it is empty");
        }
        ic = avformat.avformat_alloc_context();
        key = ic.address();
        OPEN.put(key, this);
        pb =
                avformat.avio_alloc_context(
                        new BytePointer(avutil.av_malloc(BUFFER_SIZE)),
                        BUFFER_SIZE,
                        0,
                        ic,
                        READER,
                        null,
                        SEEKER);
        ic.pb(pb);
        AVIOInterruptCB cb = new AVIOInterruptCB();
        cb.callback(INTERRUPT).opaque(ic);
        ic.interrupt_callback(cb);
        ic.io_open(REFUSE_OPEN);

        AVInputFormat fmt = probe();
        AVDictionary opts = new AVDictionary(null);
        int ret;
        try {
            avutil.av_dict_set(opts, "format_whitelist", VideoContainer.whitelist(), 0);
            // No protocol has this name: anything a demuxer might open through a URL is refused
            // (io_open is refused as well, for the demuxers that open through it).
            avutil.av_dict_set(opts, "protocol_whitelist", "none", 0);
            ret = avformat.avformat_open_input(ic, "", fmt, opts);
        } finally {
            avutil.av_dict_free(opts);
        }
        if (ret < 0) {
            // avformat_open_input frees the context on failure.
            OPEN.remove(key);
            ic = null;
            checkDeadline();
            throw notVideo("FFmpeg cannot open it as " + format + " (" + error(ret) + ")");
        }
        opened = true;
        // The size the container states is checked before any decoder runs.
        checkStatedSize(sizes);
        findStreamInfo(maxPixels);
        videoStream = firstVideoStream();
        if (videoStream < 0) {
            throw notVideo("it has no video stream (" + format + ")");
        }
        checkStatedSize(sizes);
    }

    private void checkStatedSize(SizeCheck sizes) throws DecodeException {
        int v = firstVideoStream();
        if (v >= 0) {
            AVCodecParameters par = ic.streams(v).codecpar();
            if (par.width() > 0 && par.height() > 0) {
                sizes.check(par.width(), par.height());
            }
        }
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

    /** Probes the format from the bytes and refuses it unless it is allowed. */
    private AVInputFormat probe() throws DecodeException {
        AVInputFormat fmt = new AVInputFormat(null);
        int score = avformat.av_probe_input_buffer2(pb, fmt, "", null, 0, 0);
        checkDeadline();
        if (score < 0 || fmt.isNull()) {
            throw notVideo("FFmpeg recognizes no format in it");
        }
        String full = fmt.name().getString();
        format = firstName(full);
        if (format.equals("image2") || format.endsWith("_pipe")) {
            throw notVideo("it is a still image (" + format + "), not a video");
        }
        if (!VideoContainer.allows(full)) {
            throw notVideo(
                    "its format ("
                            + full
                            + ") is not one of the accepted video containers ("
                            + VideoContainer.describe()
                            + ")");
        }
        return fmt;
    }

    private void findStreamInfo(long maxPixels) throws DecodeException {
        int n = ic.nb_streams();
        PointerPointer<AVDictionary> opts = new PointerPointer<>(Math.max(1, n));
        try {
            for (int i = 0; i < n; i++) {
                AVDictionary d = new AVDictionary(null);
                // Decoders opened to find the stream parameters allocate no frame over the limit.
                avutil.av_dict_set(d, "max_pixels", Long.toString(maxPixels), 0);
                opts.put(i, d);
            }
            // A failure here is not fatal (as in FFmpeg's own tools): the headers may still give
            // the frame size, which the caller checks, e.g. one the decoders refused to allocate.
            avformat.avformat_find_stream_info(ic, opts);
            checkDeadline();
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

    /** The demuxer's context; valid until {@link #close()}. */
    public AVFormatContext context() {
        return ic;
    }

    /** The first video stream, the one decoded and segmented. */
    public int videoStream() {
        return videoStream;
    }

    /** The demuxer's first name, lower case ({@code matroska}, {@code mov}, {@code avi}, ...). */
    public String format() {
        return format;
    }

    /**
     * Reads the next packet into {@code pkt}.
     *
     * @return false at the end of the input (or on a read error, as FFmpeg's tools stop there)
     * @throws DecodeException {@code limit_exceeded} past the deadline
     */
    public boolean readPacket(AVPacket pkt) throws DecodeException {
        int ret = avformat.av_read_frame(ic, pkt);
        if (ret < 0) {
            checkDeadline();
            return false;
        }
        return true;
    }

    /** Throws {@code limit_exceeded} when the deadline has passed. */
    public void checkDeadline() throws DecodeException {
        if (pastDeadline()) {
            throw new DecodeException(
                    DeadLetterReason.LIMIT_EXCEEDED,
                    "Opening and decoding it took longer than the time limit.");
        }
    }

    private boolean pastDeadline() {
        return deadline != NO_DEADLINE && System.nanoTime() - deadline > 0;
    }

    private DecodeException notVideo(String why) {
        return new DecodeException(DeadLetterReason.NOT_VIDEO, why);
    }

    private static String error(int ret) {
        BytePointer buf = new BytePointer(256);
        try {
            avutil.av_strerror(ret, buf, 256);
            // The pointer's limit is its capacity: getString() would return all 256 bytes, the
            // uninitialized memory after the message's NUL included (into messages and letters).
            String s = buf.getString();
            int nul = s.indexOf('\0');
            return nul < 0 ? s : s.substring(0, nul);
        } finally {
            buf.close();
        }
    }

    static String firstName(String names) {
        int comma = names.indexOf(',');
        return (comma < 0 ? names : names.substring(0, comma)).toLowerCase(Locale.ROOT);
    }

    @Override
    public void close() {
        OPEN.remove(key);
        if (ic != null) {
            if (opened) {
                // Custom I/O: FFmpeg leaves the I/O context to its owner.
                avformat.avformat_close_input(ic);
            } else {
                ic.pb(null);
                avformat.avformat_free_context(ic);
            }
            ic = null;
        }
        if (pb != null) {
            // FFmpeg may have replaced the buffer; free the one it holds now.
            avutil.av_free(pb.buffer());
            avformat.avio_context_free(pb);
            pb = null;
        }
    }

    private static MediaInput of(Pointer opaque) {
        return opaque == null ? null : OPEN.get(opaque.address());
    }

    /** Copies the next bytes of the input into FFmpeg's buffer. */
    private static final class Reader extends Read_packet_Pointer_BytePointer_int {
        @Override
        public int call(Pointer opaque, BytePointer buf, int size) {
            MediaInput in = of(opaque);
            if (in == null) {
                return avutil.AVERROR_EXTERNAL;
            }
            if (in.pastDeadline()) {
                return avutil.AVERROR_EXIT;
            }
            int n = Math.min(size, in.data.length - in.position);
            if (n <= 0) {
                return avutil.AVERROR_EOF;
            }
            buf.position(0).put(in.data, in.position, n);
            in.position += n;
            return n;
        }
    }

    /** Seeks within the input; never past its ends. */
    private static final class Seeker extends Seek_Pointer_long_int {
        @Override
        public long call(Pointer opaque, long offset, int whence) {
            MediaInput in = of(opaque);
            if (in == null) {
                return avutil.AVERROR_EXTERNAL;
            }
            int how = whence & ~avformat.AVSEEK_FORCE;
            if (how == avformat.AVSEEK_SIZE) {
                return in.data.length;
            }
            long target;
            switch (how) {
                case 0 -> target = offset; // SEEK_SET
                case 1 -> target = in.position + offset; // SEEK_CUR
                case 2 -> target = in.data.length + offset; // SEEK_END
                default -> {
                    return avutil.AVERROR_EXTERNAL;
                }
            }
            if (target < 0 || target > in.data.length) {
                return avutil.AVERROR_EOF;
            }
            in.position = (int) target;
            return target;
        }
    }

    /** FFmpeg's interrupt callback: non-zero stops whatever it is doing. */
    private static final class Interrupt extends AVIOInterruptCB.Callback_Pointer {
        @Override
        public int call(Pointer opaque) {
            MediaInput in = of(opaque);
            return in != null && in.pastDeadline() ? 1 : 0;
        }
    }

    /** Refuses every nested open (playlists, concat lists, references, ...). */
    private static final class RefuseOpen
            extends AVFormatContext
                    .Io_open_AVFormatContext_PointerPointer_BytePointer_int_PointerPointer {
        @Override
        public int call(
                AVFormatContext s,
                PointerPointer pb,
                BytePointer url,
                int flags,
                PointerPointer o) {
            return avutil.AVERROR_EXTERNAL;
        }
    }
}
