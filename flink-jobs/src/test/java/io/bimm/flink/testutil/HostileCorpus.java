package io.bimm.flink.testutil;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.HostileMedia;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.ImageRecord;
import io.bimm.schemas.SchemaHistory;
import io.bimm.schemas.VideoClip;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import javax.imageio.ImageIO;
import org.apache.avro.SchemaNormalization;
import org.apache.flink.configuration.Configuration;

/**
 * The hostile input corpus of issue 22, generated here: every kind of bad record and bad file the
 * training job and {@code ingest} must turn into one dead letter with its reason, next to inputs
 * that look hostile but are good (4K in either orientation, Matroska with B-frames), each with the
 * outcome it must have. {@code HostileCorpusTest} decodes the records directly (and prints the
 * table of docs/untrusted-input.md); {@code HostileCorpusITCase} puts all of it into one training
 * run.
 */
public final class HostileCorpus {
    private HostileCorpus() {}

    /** Stage names of the dead letters (DeadLetter.stage). */
    public static final String DESERIALIZE = "deserialize";

    public static final String DECODE = "decode";
    public static final String INGEST = "ingest";

    /** What must become of an input: trained, or one dead letter of {@code stage} and reason. */
    public record Outcome(String stage, DeadLetterReason reason) {
        public static final Outcome TRAINED = new Outcome(null, null);

        public boolean trained() {
            return stage == null;
        }

        @Override
        public String toString() {
            return trained() ? "trained" : stage + "/" + reason.code();
        }
    }

    /**
     * One record of the clips topic.
     *
     * @param name the entry's name, also the record key (and the clip id of VideoClip values)
     * @param what what it is, for the table
     * @param value the record value (null: a tombstone)
     * @param original what a dead letter's original bytes describe: the value for {@code
     *     deserialize} letters, the clip's data for {@code decode} letters
     */
    public record Entry(String name, String what, byte[] value, byte[] original, Outcome outcome) {
        public String key() {
            return name;
        }
    }

    /**
     * One input of {@code ingest}: a file name in the tree (or the path named directly).
     *
     * @param name the file name a dead letter's source URI ends with
     */
    public record FileEntry(String name, String what, Path path, Outcome outcome) {}

    /**
     * The preprocessing settings the corpus's outcomes hold for, on top of the tiny preset (S 112,
     * T 8) and the default limits (3840x2160 in either orientation): stride 1, so a clip needs only
     * 9 frames and the 4K clips are cheap to decode (12 frames each), and short clips rejected.
     */
    public static Configuration prepSettings(Configuration conf) {
        conf.set(PrepConfigOptions.STRIDE, 1);
        conf.set(PrepConfigOptions.SHORT_CLIP_POLICY, DecodeOptions.ShortClipPolicy.REJECT);
        return conf;
    }

    private static Outcome dead(String stage, DeadLetterReason reason) {
        return new Outcome(stage, reason);
    }

    private static Entry record(String name, String what, byte[] value, Outcome outcome) {
        return new Entry(name, what, value, value == null ? new byte[0] : value, outcome);
    }

    private static Entry clip(String name, String what, byte[] data, Outcome outcome) {
        byte[] value = AvroCodec.of(VideoClip.class).encode(Clips.of(name, data));
        return new Entry(name, what, value, data, outcome);
    }

    /** Every record-level entry, in the order they are produced; {@code tmp} for scratch files. */
    public static List<Entry> records(Path tmp) throws Exception {
        List<Entry> e = new ArrayList<>();
        Outcome badRecord = dead(DESERIALIZE, DeadLetterReason.BAD_RECORD);
        Outcome notVideo = dead(DECODE, DeadLetterReason.NOT_VIDEO);
        Outcome overLimit = dead(DECODE, DeadLetterReason.LIMIT_EXCEEDED);

        e.add(record("empty-value", "empty record value", new byte[0], badRecord));
        e.add(record("tombstone", "null record value (tombstone)", null, badRecord));
        e.add(
                record(
                        "random-1.5mb",
                        "1.5 MB of random bytes, not Avro",
                        random(1_500_000, 2),
                        badRecord));
        e.add(
                record(
                        "two-gib-clipid",
                        "19-byte VideoClip whose clipId declares 2 GiB",
                        twoGibClipId(),
                        badRecord));
        e.add(
                record(
                        "huge-map",
                        "VideoClip whose metadata map declares 10^9 entries",
                        hugeMetadataMap(),
                        badRecord));
        e.add(
                record(
                        "image-record",
                        "a valid ImageRecord (another schema) in the clips topic",
                        AvroCodec.of(ImageRecord.class).encode(imageRecord()),
                        badRecord));
        e.add(
                record(
                        "mislabeled-schema",
                        "ImageRecord body under VideoClip's schema fingerprint",
                        mislabeled(),
                        badRecord));

        e.add(
                clip(
                        "sdp",
                        "SDP text (RTP over UDP) as clip bytes",
                        HostileMedia.sdp(45004),
                        notVideo));
        Path target = Files.copy(Videos.path("cup.mp4"), tmp.resolve("cup.mp4"));
        e.add(
                clip(
                        "hls-file-url",
                        "HLS playlist naming file:///.../cup.mp4",
                        HostileMedia.hlsPlaylist(target),
                        notVideo));
        e.add(
                clip(
                        "ffconcat-relative",
                        "ffconcat list naming a relative path",
                        HostileMedia.ffconcat("target/cup.mp4"),
                        notVideo));
        e.add(
                clip(
                        "random-bytes",
                        "10,000 random bytes as clip bytes",
                        random(10_000, 4),
                        notVideo));
        e.add(
                clip(
                        "truncated-mp4",
                        "first 4 KiB of box.mp4",
                        Arrays.copyOf(Videos.bytes("box.mp4"), 4096),
                        notVideo));
        e.add(clip("png", "a PNG image as clip bytes", image("png"), notVideo));
        e.add(clip("gif", "a GIF image as clip bytes", image("gif"), notVideo));

        e.add(
                clip(
                        "over-4000x4000",
                        "4000x4000 MPEG-4 AVI, 3 frames (3.7 MB)",
                        HostileMedia.mpeg4(4000, 4000, 3, "avi", tmp, 500),
                        overLimit));
        e.add(
                clip(
                        "header-16k",
                        "AVI/MJPEG whose headers say 16000x16000 (frames 64x48)",
                        Videos.header16k(),
                        overLimit));
        byte[] growing = growing();
        e.add(clip("h264-grows", "raw H.264: 8 frames 64x64, then 4096x2304", growing, overLimit));
        e.add(
                clip(
                        "mkv-says-64x64",
                        "the same stream in Matroska: header says 64x64",
                        HostileMedia.remuxToMatroska(growing),
                        overLimit));
        e.add(
                clip(
                        "zero-frames",
                        "MPEG-4 AVI with a header and no frame",
                        HostileMedia.mpeg4(64, 64, 0, "avi", tmp),
                        dead(DECODE, DeadLetterReason.DECODE_ERROR)));
        e.add(
                clip(
                        "short",
                        "Megamind.avi cut after 6 frames (policy reject)",
                        Arrays.copyOf(Videos.bytes("Megamind.avi"), 60_000),
                        dead(DECODE, DeadLetterReason.TOO_SHORT)));

        e.add(
                clip(
                        "4k-landscape",
                        "3840x2160 MPEG-4, 12 frames",
                        HostileMedia.mpeg4(3840, 2160, 12, "avi", tmp),
                        Outcome.TRAINED));
        e.add(
                clip(
                        "4k-portrait",
                        "2160x3840 MPEG-4, 12 frames",
                        HostileMedia.mpeg4(2160, 3840, 12, "avi", tmp),
                        Outcome.TRAINED));
        return e;
    }

    /**
     * The file-level entries, created in (or, for a device, next to) {@code tree}: a Matroska file
     * with B-frames (good), a symlink to /etc/passwd, a FIFO, an HLS playlist file naming a file, a
     * 3 GiB sparse file over {@code --max-file-bytes}, and /dev/zero named directly. Ingest the
     * tree and /dev/zero.
     */
    public static List<FileEntry> files(Path tree) throws Exception {
        Files.createDirectories(tree);
        List<FileEntry> f = new ArrayList<>();
        Path mkv =
                Files.write(
                        tree.resolve("box.mkv"),
                        HostileMedia.remuxToMatroska(Videos.bytes("box.mp4")));
        f.add(
                new FileEntry(
                        "box.mkv",
                        "box.mp4 (H.264, B-frames) in Matroska, 15 s",
                        mkv,
                        Outcome.TRAINED));
        Path link = Files.createSymbolicLink(tree.resolve("passwd.avi"), Path.of("/etc/passwd"));
        f.add(
                new FileEntry(
                        "passwd.avi",
                        "symlink to /etc/passwd in the tree",
                        link,
                        dead(INGEST, DeadLetterReason.UNREADABLE)));
        f.add(
                new FileEntry(
                        "pipe.mp4",
                        "a FIFO in the tree",
                        HostileFiles.fifo(tree.resolve("pipe.mp4")),
                        dead(INGEST, DeadLetterReason.UNREADABLE)));
        f.add(
                new FileEntry(
                        "list.m3u8",
                        "HLS playlist file naming box.mkv by file:// URL",
                        Files.write(tree.resolve("list.m3u8"), HostileMedia.hlsPlaylist(mkv)),
                        dead(INGEST, DeadLetterReason.NOT_VIDEO)));
        f.add(
                new FileEntry(
                        "huge.mkv",
                        "3 GiB sparse file",
                        HostileFiles.sparse(tree.resolve("huge.mkv"), 3L << 30),
                        dead(INGEST, DeadLetterReason.OVER_SIZE)));
        f.add(
                new FileEntry(
                        "zero",
                        "/dev/zero named directly",
                        Path.of("/dev/zero"),
                        dead(INGEST, DeadLetterReason.UNREADABLE)));
        return f;
    }

    /** The single-object header of VideoClip, a clipId length of 2 GiB - 9, then 4 bytes. */
    public static byte[] twoGibClipId() {
        ByteBuffer b = ByteBuffer.allocate(19).order(ByteOrder.LITTLE_ENDIAN);
        b.put((byte) 0xC3).put((byte) 0x01);
        b.putLong(videoClipFingerprint());
        long z = (Integer.MAX_VALUE - 9L) << 1;
        while ((z & ~0x7fL) != 0) {
            b.put((byte) ((z & 0x7f) | 0x80));
            z >>>= 7;
        }
        b.put((byte) z);
        b.put("abcd".getBytes(StandardCharsets.US_ASCII));
        return b.array();
    }

    private static long videoClipFingerprint() {
        return SchemaNormalization.parsingFingerprint64(SchemaHistory.versions("VideoClip").get(0));
    }

    /** A good clip record whose last field, the metadata map, declares 10^9 entries. */
    private static byte[] hugeMetadataMap() {
        byte[] ok = AvroCodec.of(VideoClip.class).encode(Clips.of("huge-map", new byte[] {1}));
        // The record ends with the empty map's block count 0; a count of 10^9 follows instead,
        // with 6 bytes of entries.
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(ok, 0, ok.length - 1);
        long z = 1_000_000_000L << 1;
        while ((z & ~0x7fL) != 0) {
            out.write((int) ((z & 0x7f) | 0x80));
            z >>>= 7;
        }
        out.write((int) z);
        out.writeBytes(new byte[] {2, 'a', 2, 'b', 0, 0});
        return out.toByteArray();
    }

    private static ImageRecord imageRecord() {
        return ImageRecord.newBuilder()
                .setId("image")
                .setSourceUri("test:image")
                .setFormat("png")
                .setData(ByteBuffer.wrap(image("png")))
                .setWidth(16)
                .setHeight(16)
                .setIngestTimestamp(Instant.EPOCH)
                .setMetadata(Map.of())
                .build();
    }

    /** An ImageRecord's encoding with VideoClip's fingerprint in its header. */
    private static byte[] mislabeled() {
        byte[] b = AvroCodec.of(ImageRecord.class).encode(imageRecord());
        ByteBuffer.wrap(b).order(ByteOrder.LITTLE_ENDIAN).putLong(2, videoClipFingerprint());
        return b;
    }

    /** 8 frames of 64x64, then 4 of 4096x2304, as one raw H.264 stream. */
    private static byte[] growing() throws Exception {
        byte[] small = HostileMedia.rawH264(64, 64, 8);
        byte[] big = HostileMedia.rawH264(4096, 2304, 4);
        byte[] stream = Arrays.copyOf(small, small.length + big.length);
        System.arraycopy(big, 0, stream, small.length, big.length);
        return stream;
    }

    /** A 16x16 image in {@code format} (png, gif). */
    private static byte[] image(String format) {
        BufferedImage img = new BufferedImage(16, 16, BufferedImage.TYPE_INT_RGB);
        for (int y = 0; y < 16; y++) {
            for (int x = 0; x < 16; x++) {
                img.setRGB(x, y, (x * 16) << 16 | (y * 16) << 8);
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        try {
            ImageIO.write(img, format, out);
        } catch (java.io.IOException e) {
            throw new IllegalStateException(e);
        }
        return out.toByteArray();
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }
}
