package io.bimm.flink.ingest;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.bimm.flink.testutil.HostileFiles;
import io.bimm.schemas.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.Paths;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The rules for reading user files, on real FIFOs, devices, symlinks and sparse files. */
class InputFileTest {

    private static final Duration BOUND = Duration.ofSeconds(20);

    @TempDir Path tmp;

    private static IngestException rejection(InputFile f, long limit) {
        return assertTimeoutPreemptively(
                BOUND,
                () -> {
                    try {
                        f.read(limit, "--limit");
                    } catch (IngestException e) {
                        return e;
                    }
                    throw new AssertionError(f + " was read");
                });
    }

    @Test
    void regularFilesAreReadWhole() throws Exception {
        Path f = Files.write(tmp.resolve("a.bin"), new byte[] {1, 2, 3});
        InputFile.Content c = InputFile.named(f).read(3, "--limit");
        assertThat(c.bytes()).containsExactly(1, 2, 3);
        assertThat(c.real()).isEqualTo(f.toRealPath());
    }

    @Test
    void fifosAndDevicesAreUnreadableAtOnceWithoutOpeningThem() throws Exception {
        Path fifo = HostileFiles.fifo(tmp.resolve("pipe.mp4"));
        IngestException e = rejection(InputFile.named(fifo), 1 << 20);
        assertThat(e.reason()).isEqualTo(DeadLetterReason.UNREADABLE);
        assertThat(e.getMessage()).contains("FIFO");
        IngestException zero = rejection(InputFile.named(Paths.get("/dev/zero")), 1 << 20);
        assertThat(zero.reason()).isEqualTo(DeadLetterReason.UNREADABLE);
        assertThat(zero.getMessage()).contains("character device");
        Files.createDirectory(tmp.resolve("dir"));
        assertThat(rejection(InputFile.named(tmp.resolve("dir")), 10).getMessage())
                .contains("directory");
    }

    @Test
    void symlinksAreFollowedOnlyInsideTheirTree() throws Exception {
        Path outside = Files.writeString(tmp.resolve("secret.txt"), "root:x:0:0");
        Path tree = Files.createDirectory(tmp.resolve("tree"));
        Path video = Files.write(tree.resolve("clip.avi"), new byte[] {7, 7});
        Files.createSymbolicLink(tree.resolve("out.avi"), outside);
        Files.createSymbolicLink(tree.resolve("in.avi"), video);
        Files.createSymbolicLink(tree.resolve("dangling.avi"), tree.resolve("gone"));
        Files.createSymbolicLink(tree.resolve("loop1"), tree.resolve("loop2"));
        Files.createSymbolicLink(tree.resolve("loop2"), tree.resolve("loop1"));
        Files.createSymbolicLink(tree.resolve("up"), tmp);

        List<InputFile> files = InputFiles.expand(List.of(tree.toString()));
        assertThat(InputFiles.paths(files))
                .extracting(p -> p.getFileName().toString())
                .containsExactly(
                        "clip.avi", "dangling.avi", "in.avi", "loop1", "loop2", "out.avi", "up");
        assertThat(files).allSatisfy(f -> assertThat(f.root()).isEqualTo(tree.toRealPath()));

        InputFile in = files.get(2);
        assertThat(in.read(10, "--limit").bytes()).containsExactly(7, 7);
        IngestException out = rejection(files.get(5), 1 << 20);
        assertThat(out.reason()).isEqualTo(DeadLetterReason.UNREADABLE);
        assertThat(out.getMessage()).contains("symlink leaves the input tree");
        assertThat(rejection(files.get(6), 1 << 20).getMessage())
                .contains("symlink leaves the input tree");
        assertThat(rejection(files.get(1), 10).getMessage()).contains("does not resolve");
        assertThat(rejection(files.get(3), 10).getMessage()).contains("does not resolve");
        // Named directly, a link is the user's choice.
        assertThat(InputFile.named(tree.resolve("out.avi")).read(100, "--limit").bytes())
                .isEqualTo(Files.readAllBytes(outside));
    }

    @Test
    void aFileThatDisappearsIsUnreadable() throws Exception {
        Path f = Files.write(tmp.resolve("brief.mp4"), new byte[] {1});
        List<InputFile> files = InputFiles.expand(List.of(tmp.toString()));
        Files.delete(f);
        IngestException e = rejection(files.get(0), 10);
        assertThat(e.reason()).isEqualTo(DeadLetterReason.UNREADABLE);
        assertThat(e.getMessage()).contains("no longer exists");
    }

    @Test
    void sizesOverTheLimitAreRefusedBeforeReading() throws Exception {
        Path sparse = tmp.resolve("huge.mkv");
        HostileFiles.sparse(sparse, 3L << 30);
        IngestException e = rejection(InputFile.named(sparse), 4L << 30);
        assertThat(e.reason()).isEqualTo(DeadLetterReason.OVER_SIZE);
        assertThat(e.getMessage()).contains("into memory");
        IngestException small = rejection(InputFile.named(sparse), 1000);
        assertThat(small.getMessage()).contains("1000-byte limit (--limit)");
        Path empty = Files.write(tmp.resolve("empty.mp4"), new byte[0]);
        assertThat(rejection(InputFile.named(empty), 10).reason())
                .isEqualTo(DeadLetterReason.NOT_VIDEO);
        assertThat(
                        InputFile.named(Files.write(tmp.resolve("ten"), new byte[10]))
                                .read(10, "x")
                                .bytes())
                .hasSize(10);
    }

    @Test
    void aDirectoryLinkIsNeverWalkedSoNoLoop() throws Exception {
        Path tree = Files.createDirectory(tmp.resolve("t"));
        Files.write(tree.resolve("a.mp4"), new byte[] {1});
        Files.createSymbolicLink(tree.resolve("self"), tree);
        List<InputFile> files =
                assertTimeoutPreemptively(BOUND, () -> InputFiles.expand(List.of(tree.toString())));
        assertThat(InputFiles.paths(files))
                .extracting(p -> p.getFileName().toString())
                .containsExactly("a.mp4", "self");
        assertThat(rejection(files.get(1), 10).getMessage()).contains("directory");
        // A link to a directory named on the command line is followed: the user named it.
        Path link = Files.createSymbolicLink(tmp.resolve("link"), tree);
        List<InputFile> viaLink = InputFiles.expand(List.of(link.toString()));
        assertThat(InputFiles.paths(viaLink))
                .containsExactly(link.resolve("a.mp4"), link.resolve("self"));
        assertThat(viaLink.get(0).read(10, "--limit").real()).isEqualTo(tree.resolve("a.mp4"));
    }
}
