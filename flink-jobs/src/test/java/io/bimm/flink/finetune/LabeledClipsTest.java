package io.bimm.flink.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.testutil.HostileFiles;
import io.bimm.flink.testutil.Videos;
import io.bimm.model.Branch;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Labeled folders are user files: the same rules as ingest for what is read of them. */
class LabeledClipsTest {

    private static final DecodeOptions SMALL =
            DecodeOptions.builder().optSize(32).optFrames(2).optStride(1).build();

    @TempDir Path tmp;

    private Path classes() throws IOException {
        Path root = Files.createDirectories(tmp.resolve("train"));
        Files.createDirectories(root.resolve("a"));
        Files.createDirectories(root.resolve("b"));
        Files.copy(Videos.path("cup.mp4"), root.resolve("a/0.mp4"));
        Files.copy(Videos.path("box.mp4"), root.resolve("b/0.mp4"));
        return root;
    }

    private static void tokens(LabeledClips clips) throws IOException {
        try (ClipTokens sampler = new ClipTokens(SMALL, 0)) {
            clips.tokens(sampler, Branch.DORSAL, 0, null);
        }
    }

    @Test
    void aSymlinkLeavingTheFolderIsNeverRead() throws Exception {
        Path root = classes();
        Path secret = Files.writeString(tmp.resolve("secret.mp4"), "not yours");
        Files.createSymbolicLink(root.resolve("a/z.mp4"), secret);
        LabeledClips clips = LabeledClips.scan(root, null);
        assertThatThrownBy(() -> tokens(clips))
                .hasMessageContaining("a/z.mp4: unreadable: symlink leaves the input tree");
    }

    @Test
    void aFifoInAClassFolderIsRefusedAtOnce() throws Exception {
        Path root = classes();
        HostileFiles.fifo(root.resolve("b/pipe.mp4"));
        LabeledClips clips = LabeledClips.scan(root, null);
        assertThat(clips.size()).isEqualTo(3);
        IOException e =
                assertTimeoutPreemptively(
                        Duration.ofSeconds(60),
                        () -> {
                            try {
                                tokens(clips);
                                return null;
                            } catch (IOException x) {
                                return x;
                            }
                        });
        assertThat(e).hasMessageContaining("b/pipe.mp4: unreadable: it is a FIFO");
    }

    @Test
    void aSymlinkInsideTheFolderIsFollowed() throws Exception {
        Path root = classes();
        Files.createSymbolicLink(root.resolve("b/1.mp4"), root.resolve("a/0.mp4"));
        LabeledClips clips = LabeledClips.scan(root, null);
        assertThat(clips.size()).isEqualTo(3);
        tokens(clips);
    }
}
