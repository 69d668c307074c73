package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.google.gson.JsonArray;
import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.dataset.MotionClass;
import io.bimm.flink.dataset.MotionDataset;
import io.bimm.flink.testutil.Cli;
import io.bimm.flink.testutil.Cli.Run;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code bimm eval --compare} end to end at a tiny budget: two configurations pretrained with the
 * real job and probed beside the random encoder, one table; a single evaluation with the same seed
 * pretrains the very same weights (the run is deterministic); a second comparison reuses both
 * pretrainings and reports the same figures.
 */
class EvalCompareITCase {

    @TempDir Path tmp;

    private static String freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0)) {
            return Integer.toString(s.getLocalPort());
        }
    }

    private Run eval(Path data, Path work, String... more) throws Exception {
        List<String> args =
                new ArrayList<>(
                        List.of(
                                "eval",
                                "--dataset",
                                data.toString(),
                                "--work",
                                work.toString(),
                                "--steps",
                                "3",
                                "--batch-size",
                                "2",
                                "--probe-epochs",
                                "2",
                                "--port",
                                freePort()));
        args.addAll(List.of(more));
        return Cli.run(args.toArray(String[]::new));
    }

    private static JsonArray rows(Path work) throws IOException {
        return JsonParser.parseString(Files.readString(work.resolve(EvalComparison.FILE)))
                .getAsJsonObject()
                .getAsJsonArray("rows");
    }

    @Test
    void comparesConfigurationsDeterministicallyAndReusesTheirPretrainings() throws Exception {
        Path data = tmp.resolve("layers");
        MotionDataset.generate(
                data, new MotionDataset.Settings(2, 1, 64, 64, 40, 1, MotionClass.LAYERS));
        Path work = tmp.resolve("work");

        Run compare = eval(data, work, "--compare", "bimm", "videomae", "--seeds", "0");
        assertThat(compare.exit()).as(compare.err()).isZero();
        assertThat(compare.out())
                .containsPattern("(?m)^config +seed +steps +dorsal_gabor +dorsal_contour")
                .containsPattern("compare: bimm probe top1 mean=\\d\\.\\d{4} .* over 1 seed")
                .containsPattern("compare: videomae probe top1 mean=")
                .containsPattern("compare: random-init probe top1 mean=");
        JsonArray rows = rows(work);
        assertThat(rows).hasSize(3);
        JsonObject bimm = rows.get(0).getAsJsonObject();
        JsonObject videomae = rows.get(1).getAsJsonObject();
        assertThat(bimm.get("config").getAsString()).isEqualTo("bimm");
        assertThat(bimm.get("pretrain_steps").getAsLong()).isEqualTo(3);
        assertThat(bimm.getAsJsonObject("losses").keySet())
                .contains("dorsal_gabor", "dorsal_contour", "dorsal_motion");
        // VideoMAE's one decoder predicts the final target only
        assertThat(videomae.get("config").getAsString()).isEqualTo("videomae");
        assertThat(videomae.getAsJsonObject("losses").keySet())
                .contains("dorsal_motion")
                .doesNotContain("dorsal_gabor", "dorsal_contour");
        assertThat(rows.get(2).getAsJsonObject().get("config").getAsString())
                .isEqualTo(EvalCompareTable.RANDOM);

        // the same seed alone pretrains the very same weights
        Path single = tmp.resolve("single");
        Run one = eval(data, single, "--seed", "0");
        assertThat(one.exit()).as(one.err()).isZero();
        String step = "step-000000000003";
        Path ours = single.resolve("pretrain").resolve(step).resolve("params.safetensors");
        Path theirs =
                work.resolve("compare/bimm/seed-0/pretrain")
                        .resolve(step)
                        .resolve("params.safetensors");
        assertThat(Files.mismatch(ours, theirs)).isEqualTo(-1L);

        // a second comparison reuses both pretrainings and reports the same probes
        Run again = eval(data, work, "--compare", "bimm", "videomae", "--seeds", "0");
        assertThat(again.exit()).as(again.err()).isZero();
        assertThat(again.out().split("reusing ", -1)).hasSize(3);
        JsonArray rerun = rows(work);
        for (int i = 0; i < 3; i++) {
            assertThat(rerun.get(i).getAsJsonObject().get("probe_top1"))
                    .isEqualTo(rows.get(i).getAsJsonObject().get("probe_top1"));
        }
    }
}
