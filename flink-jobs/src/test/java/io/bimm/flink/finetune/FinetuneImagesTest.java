package io.bimm.flink.finetune;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.cli.BimmCli;
import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.decode.ImageDecoder;
import io.bimm.flink.ingest.InputFile;
import io.bimm.flink.testutil.TestCheckpoints;
import io.bimm.flink.testutil.TestImages;
import io.bimm.model.Branch;
import io.bimm.model.finetune.Patchify;
import io.bimm.schemas.DeadLetterReason;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code finetune --branch ventral} on labeled images: a pretrained checkpoint's ventral encoder
 * finetunes on a folder of JPEG/PNG images end to end, each image sampled by the training job's
 * {@link ImageDecoder} (random crops, same limits, same errors as the images topic).
 */
class FinetuneImagesTest {

    private static final int S = 32;

    @TempDir Path dir;

    private static DecodeOptions options(boolean deterministic) {
        return DecodeOptions.builder()
                .optSize(S)
                .optFrames(4)
                .optDeterministic(deterministic)
                .build();
    }

    @Test
    void anImageIsSampledAsTheTrainingJobSamplesIt() throws Exception {
        Path png = dir.resolve("photo.png");
        Files.write(png, TestImages.patternPng(90, 60, 4));
        byte[] expected;
        try (ImageDecoder d = new ImageDecoder(options(false))) {
            expected = d.decode(Files.readAllBytes(png), "photo.png", 7, 3);
        }
        try (ClipTokens tokens = new ClipTokens(options(false), 7)) {
            assertThat(tokens.tokens(new InputFile(png, dir), Branch.VENTRAL, 3))
                    .isEqualTo(Patchify.patches(expected, S));
        }
    }

    @Test
    void hostileImagesFailWithTheTrainingJobsReasonsNamingTheFile() throws Exception {
        Path huge = dir.resolve("huge.png");
        Files.write(huge, TestImages.hugePngHeader(100_000, 100_000));
        Path cut = dir.resolve("cut.png");
        Files.write(cut, TestImages.truncatedPng());
        try (ClipTokens tokens = new ClipTokens(options(true), 0)) {
            assertThatThrownBy(() -> tokens.tokens(new InputFile(huge, dir), Branch.VENTRAL, 0))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.LIMIT_EXCEEDED))
                    .hasMessageContaining(huge.toString());
            assertThatThrownBy(() -> tokens.tokens(new InputFile(cut, dir), Branch.VENTRAL, 0))
                    .isInstanceOfSatisfying(
                            DecodeException.class,
                            e -> assertThat(e.reason()).isEqualTo(DeadLetterReason.DECODE_ERROR))
                    .hasMessageContaining(cut.toString());
        }
    }

    @Test
    void finetuneBranchVentralTrainsAPretrainedEncoderOnImages() throws Exception {
        Path ckpt = dir.resolve("ckpt");
        TestCheckpoints.write(ckpt, TestCheckpoints.micro(S, 4), 3);
        int[] colours = {0xD02020, 0x2040D0};
        String[] names = {"red", "blue"};
        for (String split : new String[] {"train", "val"}) {
            for (int c = 0; c < 2; c++) {
                Path d = Files.createDirectories(dir.resolve(split).resolve(names[c]));
                for (int i = 0; i < 3; i++) {
                    int rgb = colours[c] + (i * 0x0A0A0A);
                    Files.write(
                            d.resolve(i + (i == 0 ? ".jpg" : ".png")),
                            TestImages.image(i == 0 ? "jpg" : "png", 48, 40, (x, y) -> rgb));
                }
            }
        }
        Path out = dir.resolve("out");
        int code =
                BimmCli.run(
                        "finetune",
                        "--checkpoint",
                        ckpt.toString(),
                        "--train",
                        dir.resolve("train").toString(),
                        "--val",
                        dir.resolve("val").toString(),
                        "--branch",
                        "ventral",
                        "--epochs",
                        "2",
                        "--batch-size",
                        "3",
                        "--out",
                        out.toString(),
                        "--no-progress");
        assertThat(code).isZero();
        assertThat(out.resolve("best.safetensors")).isRegularFile();
        JsonObject best =
                JsonParser.parseString(Files.readString(out.resolve("best.json")))
                        .getAsJsonObject();
        assertThat(best.get("branch").getAsString()).isEqualTo(Branch.VENTRAL.key());
        // red against blue photos: the encoder's features separate them (chance is 0.5)
        assertThat(best.get("val_top1").getAsDouble()).isEqualTo(1.0);
    }
}
