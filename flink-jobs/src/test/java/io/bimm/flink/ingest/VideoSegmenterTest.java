package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.decode.HostileMedia;
import io.bimm.schemas.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class VideoSegmenterTest {

    @ParameterizedTest
    @ValueSource(strings = {"Megamind.avi", "box.mp4", "cup.mp4"})
    void segmentsDecodeToExactlyTheSourceFrames(String name) throws Exception {
        Path file = TestVideos.file(name);
        VideoFrames.Decoded source = VideoFrames.decode(file);
        List<VideoSegmenter.Segment> segments = new ArrayList<>();
        VideoSegmenter.Probe probe =
                new VideoSegmenter(2.0)
                        .segment(file, Files.readAllBytes(file), (p, s) -> segments.add(s));

        assertThat(segments).hasSizeGreaterThan(1);
        assertThat(probe.width()).isEqualTo(source.width());
        assertThat(probe.height()).isEqualTo(source.height());
        int decoded = 0;
        long previousEnd = 0;
        for (int i = 0; i < segments.size(); i++) {
            VideoSegmenter.Segment s = segments.get(i);
            assertThat(s.index()).isEqualTo(i);
            assertThat(s.container()).isEqualTo("matroska");
            VideoFrames.Decoded d = VideoFrames.decode(s.data());
            assertThat(d.frames()).as("segment %d", i).isEqualTo(s.frameCount());
            assertThat(d.width()).isEqualTo(source.width());
            assertThat(d.height()).isEqualTo(source.height());
            assertThat(s.startMicros()).isGreaterThanOrEqualTo(previousEnd - 1000);
            previousEnd = s.startMicros() + s.durationMicros();
            decoded += d.frames();
        }
        // Stream copy at keyframes: every source packet lands in exactly one segment, and each
        // decodes. An mp4 edit list may hide a leading frame when the source is decoded as a
        // whole (box.mp4: 455 of 456 packets shown); Matroska segments show every packet.
        assertThat(decoded).isBetween(source.frames(), source.frames() + 1);
        if (!name.endsWith(".mp4")) {
            assertThat(decoded).isEqualTo(source.frames());
        }
        // Cut only at keyframes, about every 2 s (each segment but the last >= 2 s).
        for (VideoSegmenter.Segment s : segments.subList(0, segments.size() - 1)) {
            assertThat(s.durationMicros()).isGreaterThanOrEqualTo(1_990_000L);
        }
    }

    @Test
    void shortFileIsPassedThroughInItsOwnContainer() throws Exception {
        Path file = TestVideos.file("box.mp4");
        byte[] bytes = Files.readAllBytes(file);
        List<VideoSegmenter.Segment> segments = new ArrayList<>();
        new VideoSegmenter(3600).segment(file, bytes, (p, s) -> segments.add(s));
        assertThat(segments).hasSize(1);
        assertThat(segments.get(0).data()).isSameAs(bytes);
        assertThat(segments.get(0).container()).isEqualTo("mov");
        assertThat(segments.get(0).codec()).isEqualTo("h264");
    }

    @Test
    void rejectsRandomBytesEmptyFilesAndImages(@TempDir Path tmp) throws Exception {
        byte[] noise = new byte[100_000];
        new Random(3).nextBytes(noise);
        Path random = Files.write(tmp.resolve("noise.mp4"), noise);
        Path empty = Files.write(tmp.resolve("empty.avi"), new byte[0]);
        Path jpeg = tmp.resolve("still.jpg");
        javax.imageio.ImageIO.write(
                new java.awt.image.BufferedImage(64, 48, java.awt.image.BufferedImage.TYPE_INT_RGB),
                "jpg",
                jpeg.toFile());

        for (Path p : List.of(random, empty, jpeg)) {
            assertThatThrownBy(
                            () ->
                                    new VideoSegmenter(4)
                                            .segment(p, Files.readAllBytes(p), (pr, s) -> {}))
                    .as(p.getFileName().toString())
                    .isInstanceOfSatisfying(
                            IngestException.class,
                            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.NOT_VIDEO));
        }
    }

    @Test
    void truncatedFileYieldsOnlyDecodableSegmentsOrIsRejected(@TempDir Path tmp) throws Exception {
        byte[] full = Files.readAllBytes(TestVideos.file("Megamind.avi"));
        Path cut =
                Files.write(tmp.resolve("cut.avi"), java.util.Arrays.copyOf(full, full.length / 3));
        List<VideoSegmenter.Segment> segments = new ArrayList<>();
        try {
            new VideoSegmenter(1).segment(cut, Files.readAllBytes(cut), (p, s) -> segments.add(s));
        } catch (IngestException e) {
            assertThat(e.reason()).isIn(DeadLetterReason.NOT_VIDEO, DeadLetterReason.DECODE_ERROR);
            return;
        }
        assertThat(segments).isNotEmpty();
        for (VideoSegmenter.Segment s : segments) {
            assertThat(VideoFrames.decode(s.data()).frames()).isEqualTo(s.frameCount());
        }
    }

    @Test
    void matroskaWithBFramesAndNoDecodeTimestampsIsSegmented(@TempDir Path tmp) throws Exception {
        // box.mp4 (H.264 with B-frames, 15 s) copied into Matroska: its demuxer gives the packets
        // presentation times only, so the decode times must be derived without going backwards.
        Path mkv =
                Files.write(
                        tmp.resolve("box.mkv"),
                        HostileMedia.remuxToMatroska(
                                Files.readAllBytes(TestVideos.file("box.mp4"))));
        VideoFrames.Decoded source = VideoFrames.decode(mkv);
        List<VideoSegmenter.Segment> segments = new ArrayList<>();
        new VideoSegmenter(4).segment(mkv, Files.readAllBytes(mkv), (p, s) -> segments.add(s));

        assertThat(segments).hasSizeGreaterThan(1);
        int decoded = 0;
        for (VideoSegmenter.Segment s : segments) {
            VideoFrames.Decoded d = VideoFrames.decode(s.data());
            assertThat(d.frames()).as("segment %d", s.index()).isEqualTo(s.frameCount());
            decoded += d.frames();
        }
        assertThat(decoded).isEqualTo(source.frames());
    }

    @Test
    void playlistsAndListsNamingOtherFilesAreRefusedWithoutReadingThem(@TempDir Path tmp)
            throws Exception {
        // Before, FFmpeg opened these by path: the playlist and the list were followed to
        // cup.mp4 beside them (and the SDP bound UDP ports). Now only the bytes are read, and
        // neither hls (which FFmpeg only probes by its .m3u8 name) nor concat nor sdp is allowed.
        Path video = Files.copy(TestVideos.file("cup.mp4"), tmp.resolve("cup.mp4"));
        Path hls = Files.write(tmp.resolve("list.m3u8"), HostileMedia.hlsPlaylist(video));
        Path concat = Files.write(tmp.resolve("list.ffconcat"), HostileMedia.ffconcat("cup.mp4"));
        Path sdp = Files.write(tmp.resolve("stream.sdp"), HostileMedia.sdp(45004));
        for (Path p : List.of(hls, concat, sdp)) {
            List<VideoSegmenter.Segment> segments = new ArrayList<>();
            assertThatThrownBy(
                            () ->
                                    new VideoSegmenter(4)
                                            .segment(
                                                    p,
                                                    Files.readAllBytes(p),
                                                    (pr, s) -> segments.add(s)))
                    .as(p.getFileName().toString())
                    .isInstanceOfSatisfying(
                            IngestException.class,
                            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.NOT_VIDEO));
            assertThat(segments).isEmpty();
        }
    }
}
