package io.bimm.flink.ingest.live;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.testutil.Cli;
import org.junit.jupiter.api.Test;

/** What {@code bimm ingest --follow} refuses before it talks to Kafka. */
class FollowCommandLineTest {

    private static Cli.Run ingest(String... args) {
        String[] all = new String[args.length + 3];
        all[0] = "ingest";
        all[1] = "--bootstrap";
        all[2] = "127.0.0.1:1";
        System.arraycopy(args, 0, all, 3, args.length);
        return Cli.run(all);
    }

    @Test
    void aSchemeThatIsNotALiveSourceIsRefusedByName() {
        Cli.Run run = ingest("--follow", "concat:/etc/passwd|/etc/hosts");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err())
                .contains("--follow concat:/etc/passwd|/etc/hosts: the scheme concat:");
    }

    @Test
    void aPathThatIsNeitherAFolderNorAFileIsRefused() {
        Cli.Run run = ingest("--follow", "/no/such/folder");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err())
                .contains("--follow /no/such/folder: not a directory, a file, or a URL");
    }

    @Test
    void imagesAreForFoldersOnly() {
        Cli.Run run = ingest("--images", "--follow", "rtsp://cam1.local/stream1");
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("--images follows folders only");
    }

    @Test
    void withoutFollowAPathIsStillRequired() {
        Cli.Run run = ingest();
        assertThat(run.exit()).isNotZero();
        assertThat(run.err()).contains("Missing required parameter: 'PATH'");
    }
}
