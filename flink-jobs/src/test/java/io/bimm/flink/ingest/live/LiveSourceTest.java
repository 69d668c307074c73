package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

class LiveSourceTest {

    @Test
    void eachUrlGetsExactlyItsFamilysProtocolsAndFileOnlyForAFileUrl() {
        assertThat(LiveSource.of("rtsp://cam1.local:554/stream1").family().protocolWhitelist())
                .isEqualTo("rtsp,rtp,udp,tcp");
        assertThat(
                        LiveSource.of("https://example.org/live/index.m3u8")
                                .family()
                                .protocolWhitelist())
                .isEqualTo("hls,http,https,tcp,tls,crypto");
        assertThat(LiveSource.of("srt://10.0.0.2:9000?mode=caller").family())
                .isEqualTo(SourceFamily.SRT);
        assertThat(LiveSource.of("udp://@239.0.0.1:1234").family()).isEqualTo(SourceFamily.UDP);
        assertThat(LiveSource.of("file:/data/rec/now.ts").family().protocolWhitelist())
                .isEqualTo("file");
        for (SourceFamily f : SourceFamily.values()) {
            if (f != SourceFamily.FILE) {
                assertThat(Arrays.asList(f.protocolWhitelist().split(",")))
                        .as(f.name())
                        .doesNotContain("file", "pipe", "fd", "concat", "subfile", "data");
            }
            assertThat(Arrays.asList(f.formatWhitelist().split(",")))
                    .as(f.name())
                    .doesNotContain("concat", "sdp", "image2", "lavfi");
        }
    }

    @Test
    void aSchemeBimmDoesNotFollowIsRefusedByName() {
        assertThatThrownBy(() -> LiveSource.of("concat:/etc/passwd|/etc/hosts"))
                .hasMessageContaining("concat");
        assertThatThrownBy(() -> LiveSource.of("gopher://x")).hasMessageContaining("gopher");
    }

    @Test
    void passwordsAndSecretParametersNeverReachTheDisplayName() {
        LiveSource s = LiveSource.of("rtsp://admin:hunter2@cam1.local/stream?token=abc&channel=1");
        assertThat(s.display()).isEqualTo("rtsp://admin:***@cam1.local/stream?token=***&channel=1");
        assertThat(s.toString()).doesNotContain("hunter2", "abc");
        assertThat(LiveSource.of("srt://h:9000?passphrase=s3cret&latency=200").display())
                .isEqualTo("srt://h:9000?passphrase=***&latency=200");
        // The id is of the whole URL: the same camera, the same id.
        assertThat(s.id()).hasSize(32).isEqualTo(LiveSource.of(s.url()).id());
    }

    @Test
    void pathsAreNotUrls() {
        assertThat(LiveSource.isUrl("rtsp://cam")).isTrue();
        assertThat(LiveSource.isUrl("file:/x.ts")).isTrue();
        assertThat(LiveSource.isUrl("/data/incoming")).isFalse();
        assertThat(LiveSource.isUrl("incoming")).isFalse();
        assertThat(LiveSource.isUrl("C:\\video")).isFalse();
    }
}
