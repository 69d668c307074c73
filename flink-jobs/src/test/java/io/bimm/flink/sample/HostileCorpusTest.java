package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeException;
import io.bimm.flink.job.RecordDecoding;
import io.bimm.flink.testutil.HostileCorpus;
import io.bimm.flink.testutil.HostileCorpus.Entry;
import io.bimm.flink.testutil.HostileCorpus.Outcome;
import io.bimm.flink.train.TrainJob;
import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Preset;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.AvroCodecException;
import io.bimm.schemas.DeadLetterReason;
import io.bimm.schemas.VideoClip;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Every record of the hostile corpus through what the training job runs on it (the record decoding
 * of {@code DecodeClipFunction}, then the preprocessing of {@code PrepareSampleFunction}) with the
 * job's options for the tiny preset: each has its expected outcome. Prints the table of
 * docs/untrusted-input.md with the time each took.
 */
class HostileCorpusTest {

    /** The preprocessing options of {@code HostileCorpusITCase}'s training run. */
    static PrepOptions jobOptions() {
        Configuration conf = HostileCorpus.prepSettings(new Configuration());
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        return TrainJob.prepOptions(conf, TrainJob.modelConfig(conf));
    }

    @Test
    void everyRecordHasItsOutcome(@TempDir Path tmp) throws Exception {
        List<Entry> corpus = HostileCorpus.records(tmp);
        AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
        List<String> rows = new ArrayList<>();
        List<Runnable> checks = new ArrayList<>();
        try (SamplePipeline pipeline = new SamplePipeline(jobOptions())) {
            // Libraries and JIT warmed on one good clip: the times below are the inputs' own.
            pipeline.process(corpus.get(corpus.size() - 1).original(), "warm-up", 0);
            for (Entry e : corpus) {
                long t0 = System.nanoTime();
                Outcome got;
                String message = "";
                try {
                    VideoClip clip = codec.decode(e.value() == null ? new byte[0] : e.value());
                    assertThat(String.valueOf(clip.getClipId())).isEqualTo(e.name());
                    try {
                        pipeline.process(RecordDecoding.bytes(clip.getData()), e.name(), 0);
                        got = Outcome.TRAINED;
                    } catch (DecodeException d) {
                        got = new Outcome(HostileCorpus.DECODE, d.reason());
                        message = d.getMessage();
                    }
                } catch (AvroCodecException a) {
                    got = new Outcome(HostileCorpus.DESERIALIZE, DeadLetterReason.BAD_RECORD);
                    message = a.getMessage();
                }
                double ms = (System.nanoTime() - t0) / 1e6;
                rows.add(
                        String.format(
                                Locale.ROOT,
                                "| %s | %s | %,d | %s | %.1f | %s |",
                                e.name(),
                                e.what(),
                                e.value() == null ? 0 : e.value().length,
                                got,
                                ms,
                                message));
                Outcome want = e.outcome();
                Outcome actual = got;
                String said = message;
                checks.add(
                        () -> {
                            assertThat(actual.stage()).as(e.name()).isEqualTo(want.stage());
                            assertThat(actual.reason()).as(e.name()).isEqualTo(want.reason());
                            // One readable sentence: FFmpeg's error text once carried the
                            // uninitialized bytes after its NUL (the truncated MP4).
                            assertThat(said).as(e.name()).doesNotContainPattern("\\p{Cntrl}");
                        });
            }
        }
        rows.forEach(System.out::println);
        checks.forEach(Runnable::run);
    }
}
