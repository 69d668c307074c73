package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.google.gson.JsonObject;
import com.google.gson.JsonParser;
import io.bimm.flink.sample.PrepConfigOptions;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.sample.TrainingSampleTypeInfo;
import io.bimm.model.BimmConfig;
import io.bimm.model.Preset;
import io.bimm.model.checkpoint.Checkpoints;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.function.BooleanSupplier;
import org.apache.flink.api.common.state.ListState;
import org.apache.flink.api.common.state.ListStateDescriptor;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.core.execution.SavepointFormatType;
import org.apache.flink.runtime.checkpoint.OperatorSubtaskState;
import org.apache.flink.runtime.checkpoint.SavepointType;
import org.apache.flink.runtime.state.FunctionInitializationContext;
import org.apache.flink.runtime.state.FunctionSnapshotContext;
import org.apache.flink.streaming.api.checkpoint.CheckpointedFunction;
import org.apache.flink.streaming.api.functions.ProcessFunction;
import org.apache.flink.streaming.api.operators.ProcessOperator;
import org.apache.flink.streaming.runtime.streamrecord.StreamRecord;
import org.apache.flink.streaming.runtime.tasks.mailbox.Mail;
import org.apache.flink.streaming.runtime.tasks.mailbox.TaskMailbox;
import org.apache.flink.streaming.util.OneInputStreamOperatorTestHarness;
import org.apache.flink.util.Collector;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The training sink through Flink's operator test harness, training the tiny preset on CPU: a
 * finished step is reported, checkpointed and pictured at once, the input blocks past {@code
 * train.max-steps} with bounded state, a step skipped by the NaN guard reports nothing, retention
 * spares the newest savepoint's model checkpoint, and a restore continues where the snapshot was.
 * The harness's mailbox stands in for the task's: mails the trainer thread sends are run here.
 */
class TrainingSinkTest {

    private static final BimmConfig TINY = TrainJob.modelConfig(tinyConf());
    private static final Duration PATIENCE = Duration.ofSeconds(60);

    private static Configuration tinyConf() {
        Configuration conf = new Configuration();
        conf.set(TrainJobOptions.PRESET, Preset.TINY);
        conf.set(TrainJobOptions.BATCH_SIZE, 2);
        conf.set(TrainJobOptions.WARMUP_STEPS, 1L);
        conf.set(TrainJobOptions.DEVICE, "cpu");
        conf.set(TrainJobOptions.CHECKPOINT_EVERY, 0);
        return conf;
    }

    private static Configuration conf(Path ckpt, long maxSteps, int every, int keep) {
        Configuration conf = tinyConf();
        conf.set(TrainJobOptions.CHECKPOINT_DIR, ckpt.toString());
        conf.set(TrainJobOptions.MAX_STEPS, maxSteps);
        conf.set(TrainJobOptions.CHECKPOINT_EVERY, every);
        conf.set(TrainJobOptions.CHECKPOINT_KEEP, keep);
        return conf;
    }

    static OneInputStreamOperatorTestHarness<TrainingSample, Long> harness(
            Configuration conf, OperatorSubtaskState restoreFrom) throws Exception {
        OneInputStreamOperatorTestHarness<TrainingSample, Long> h =
                new OneInputStreamOperatorTestHarness<>(new TrainingSink(conf), 1, 1, 0);
        h.setup();
        if (restoreFrom != null) {
            h.initializeState(restoreFrom);
        }
        h.open();
        return h;
    }

    /** A tiny-preset sample with valid masks and random content; {@code nan} poisons a target. */
    static TrainingSample sample(int seed, boolean nan) {
        Random r = new Random(seed);
        int[][] v = split(r, TINY.getImageTokens(), TINY.getVentralMasked());
        int[][] d = split(r, TINY.getVideoTokens(), TINY.getDorsalMasked());
        int mv = v[1].length;
        int md = d[1].length;
        float[] gabor = floats(r, mv * 32);
        float[] dorsalGabor = floats(r, md * 64);
        if (nan) {
            gabor[0] = Float.NaN;
            dorsalGabor[0] = Float.NaN;
        }
        return new TrainingSample(
                "clip-" + seed,
                0,
                v[0],
                v[1],
                bytes(r, v[0].length * 768),
                gabor,
                bytes(r, mv * 256),
                bytes(r, mv * 768),
                d[0],
                d[1],
                bytes(r, d[0].length * 1536),
                dorsalGabor,
                bytes(r, md * 512),
                bytes(r, md * 1536));
    }

    /** Ascending visible and masked token indices, {@code masked} of {@code n} masked. */
    private static int[][] split(Random r, int n, int masked) {
        List<Integer> all = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            all.add(i);
        }
        java.util.Collections.shuffle(all, r);
        int[] m = all.subList(0, masked).stream().mapToInt(Integer::intValue).sorted().toArray();
        int[] vis = all.subList(masked, n).stream().mapToInt(Integer::intValue).sorted().toArray();
        return new int[][] {vis, m};
    }

    private static byte[] bytes(Random r, int n) {
        byte[] b = new byte[n];
        r.nextBytes(b);
        return b;
    }

    private static float[] floats(Random r, int n) {
        float[] f = new float[n];
        for (int i = 0; i < n; i++) {
            f[i] = r.nextFloat();
        }
        return f;
    }

    private static void feed(
            OneInputStreamOperatorTestHarness<TrainingSample, Long> h, int... seeds)
            throws Exception {
        for (int s : seeds) {
            h.processElement(new StreamRecord<>(sample(s, false)));
        }
    }

    /**
     * Runs the mails the task would run (the trainer's "step done") until {@code done} holds; false
     * after {@link #PATIENCE}.
     */
    private static boolean runMailsUntil(
            OneInputStreamOperatorTestHarness<?, ?> h, BooleanSupplier done) throws Exception {
        TaskMailbox mailbox = h.getTaskMailbox();
        long deadline = System.nanoTime() + PATIENCE.toNanos();
        while (!done.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                return false;
            }
            Optional<Mail> mail = mailbox.tryTake(TaskMailbox.MIN_PRIORITY);
            if (mail.isPresent()) {
                mail.get().run();
            } else {
                Thread.sleep(10);
            }
        }
        return true;
    }

    private static Path step(Path ckpt, long n) {
        return ckpt.resolve(String.format("step-%012d", n));
    }

    private static boolean written(Path dir) {
        return Files.isRegularFile(dir.resolve(Checkpoints.MANIFEST));
    }

    @Test
    void theFinalStepIsReportedCheckpointedAndPicturedWithoutAFlinkCheckpoint(@TempDir Path tmp)
            throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        try (var h = harness(conf(ckpt, 2, 0, 3), null)) {
            feed(h, 1, 2, 3, 4);
            // No snapshot is taken: the step's own completion must bring its checkpoint.
            assertThat(runMailsUntil(h, () -> written(step(ckpt, 2)))).isTrue();
            assertThat(runMailsUntil(h, () -> h.extractOutputValues().size() == 2)).isTrue();
            assertThat(h.extractOutputValues()).containsExactly(1L, 2L);
            assertThat(step(ckpt, 2).resolve(ReconstructionPictures.VENTRAL)).isRegularFile();
            assertThat(ckpt.resolve(ModelCheckpoints.LATEST).toRealPath())
                    .isEqualTo(step(ckpt, 2).toRealPath());
        }
    }

    @Test
    void aStepSkippedByTheNanGuardReportsNoStepAndWritesNoCheckpoint(@TempDir Path tmp)
            throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        try (var h = harness(conf(ckpt, 0, 1, 10), null)) {
            feed(h, 1, 2);
            h.processElement(new StreamRecord<>(sample(3, true)));
            h.processElement(new StreamRecord<>(sample(4, true)));
            feed(h, 5, 6);
            h.snapshot(1, 1);
            assertThat(
                            runMailsUntil(
                                    h,
                                    () ->
                                            written(step(ckpt, 2))
                                                    && h.extractOutputValues().size() >= 2))
                    .isTrue();
            h.snapshot(2, 2);
            assertThat(h.extractOutputValues()).containsExactly(1L, 2L);
            JsonObject m2 =
                    JsonParser.parseString(
                                    Files.readString(step(ckpt, 2).resolve(Checkpoints.MANIFEST)))
                            .getAsJsonObject();
            assertThat(m2.get("skipped_steps").getAsLong()).isEqualTo(1);
            assertThat(m2.get("samples_seen").getAsLong()).isEqualTo(4);
        }
    }

    /**
     * Past the step limit the sink takes at most {@link SampleBuffer#pastLimitHold} more samples,
     * then blocks its input: the next sample's processElement does not return.
     */
    @Test
    void pastTheStepLimitTheInputBlocksWithBoundedState(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        TrainingSample one = sample(7, false);
        int hold =
                SampleBuffer.pastLimitHold(
                        2,
                        1,
                        PrepConfigOptions.DEFAULT_REPEATED_SAMPLING,
                        SampleBuffer.bytesOf(one));
        ExecutorService task = Executors.newSingleThreadExecutor();
        Thread[] taskThread = new Thread[1];
        try {
            // The harness lives on its own thread (its mailbox thread), as a task would.
            var h =
                    task.submit(
                                    () -> {
                                        taskThread[0] = Thread.currentThread();
                                        return harness(conf(ckpt, 1, 0, 3), null);
                                    })
                            .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            task.submit(
                            () -> {
                                feed(h, 1, 2);
                                return h.snapshot(1, 1); // finishes step 1
                            })
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
            int accepted = 0;
            Future<?> last = null;
            for (int i = 0; i < hold + 1; i++) {
                last =
                        task.submit(
                                () -> {
                                    h.processElement(new StreamRecord<>(one));
                                    return null;
                                });
                try {
                    last.get(10, TimeUnit.SECONDS);
                    accepted++;
                } catch (TimeoutException blocked) {
                    break;
                }
            }
            assertThat(accepted).isEqualTo(hold);
            assertThat(last.isDone()).as("the sample past the hold waits").isFalse();
            assertThat(h.extractOutputValues()).containsExactly(1L);
            // Cancelling the task interrupts the wait.
            taskThread[0].interrupt();
            Future<?> blocked = last;
            assertThatThrownBy(() -> blocked.get(PATIENCE.toSeconds(), TimeUnit.SECONDS))
                    .hasCauseInstanceOf(InterruptedException.class);
            task.submit(
                            () -> {
                                h.close();
                                return null;
                            })
                    .get(PATIENCE.toSeconds(), TimeUnit.SECONDS);
        } finally {
            task.shutdownNow();
        }
    }

    @Test
    void retentionKeepsTheModelCheckpointOfTheNewestSavepoint(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        Configuration conf = conf(ckpt, 0, 0, 1);
        OperatorSubtaskState newest;
        try (var h = harness(conf, null)) {
            feed(h, 1, 2);
            h.snapshotWithLocalState(1, 1, SavepointType.savepoint(SavepointFormatType.CANONICAL));
            h.notifyOfCompletedCheckpoint(1);
            for (int id = 2; id <= 4; id++) {
                feed(h, 2 * id - 1, 2 * id);
                newest = h.snapshot(id, id);
                h.notifyOfCompletedCheckpoint(id);
            }
            newest = h.snapshot(5, 5);
            h.notifyOfCompletedCheckpoint(5);
            assertThat(step(ckpt, 1)).as("the savepoint's model checkpoint").exists();
            assertThat(step(ckpt, 2)).as("neither kept nor pointed at").doesNotExist();
        }
        // A later run, restored from a newer Flink checkpoint, spares it too.
        try (var h = harness(conf, newest)) {
            for (int id = 6; id <= 7; id++) {
                feed(h, 2 * id - 1, 2 * id);
                h.snapshot(id, id);
                h.notifyOfCompletedCheckpoint(id);
            }
            assertThat(step(ckpt, 6)).exists();
            assertThat(step(ckpt, 1)).as("the savepoint's model checkpoint").exists();
            assertThat(step(ckpt, 4)).as("neither kept nor pointed at").doesNotExist();
        }
    }

    @Test
    void aRestoreContinuesTheStepCounterAndThePartialBatch(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        Configuration conf = conf(ckpt, 0, 0, 3);
        OperatorSubtaskState state;
        try (var h = harness(conf, null)) {
            feed(h, 1, 2, 3);
            state = h.snapshot(1, 1);
            assertThat(h.extractOutputValues()).containsExactly(1L);
        }
        JsonObject p =
                JsonParser.parseString(Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE)))
                        .getAsJsonObject();
        assertThat(p.get("step").getAsLong()).isEqualTo(1);
        assertThat(p.get("pending_samples").getAsLong()).isEqualTo(1);
        try (var h = harness(conf, state)) {
            feed(h, 4);
            h.snapshot(2, 2);
            assertThat(h.extractOutputValues()).containsExactly(2L);
            assertThat(
                            Arrays.asList(
                                    Files.list(ckpt)
                                            .map(f -> f.getFileName().toString())
                                            .toArray()))
                    .contains("step-000000000002");
        }
    }

    /**
     * Repeated sampling (R = 3, batch 2): the first record's third sample waits in the checkpoint
     * while its first two are trained; the restored run trains it once with the next record's
     * first, and {@code progress.json} counts records and samples apart.
     */
    @Test
    void aRecordsSamplesAcrossACheckpointAreTrainedOnce(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        Configuration conf = conf(ckpt, 0, 0, 3);
        conf.set(PrepConfigOptions.REPEATED_SAMPLING, 3);
        OperatorSubtaskState state;
        try (var h = harness(conf, null)) {
            feed(h, 1, 2, 3);
            state = h.snapshot(1, 1);
            assertThat(h.extractOutputValues()).containsExactly(1L);
        }
        JsonObject p = progress(ckpt);
        assertThat(p.get("samples_seen").getAsLong()).isEqualTo(2);
        assertThat(p.get("pending_samples").getAsLong()).isEqualTo(1);
        assertThat(p.get("repeated_sampling").getAsInt()).isEqualTo(3);
        assertThat(p.get("records_covered").getAsLong()).isEqualTo(1);
        try (var h = harness(conf, state)) {
            feed(h, 4, 5, 6); // step 2 trains samples 3 and 4; 5 and 6 wait behind it
            h.snapshot(2, 2);
            assertThat(h.extractOutputValues()).containsExactly(2L);
        }
        // The second record straddles this checkpoint too: one sample trained, two pending.
        p = progress(ckpt);
        assertThat(p.get("samples_seen").getAsLong()).isEqualTo(4);
        assertThat(p.get("pending_samples").getAsLong()).isEqualTo(2);
        assertThat(p.get("records_covered").getAsLong()).isEqualTo(2);
    }

    private static JsonObject progress(Path ckpt) throws Exception {
        return JsonParser.parseString(Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE)))
                .getAsJsonObject();
    }

    /**
     * The state a {@code ProcessFunction} sink kept (operator list states {@code pending-samples}
     * and {@code model-checkpoint}, as every earlier savepoint has them) restores into this
     * operator: same model step, same partial batch.
     */
    @Test
    void restoresTheOperatorStateOfTheProcessFunctionSink(@TempDir Path tmp) throws Exception {
        Path ckpt = tmp.resolve("ckpt");
        Configuration conf = conf(ckpt, 0, 0, 3);
        try (var h = harness(conf, null)) {
            feed(h, 1, 2);
            h.snapshot(1, 1);
        }
        String pointer = Files.readString(ckpt.resolve(TrainingSink.PROGRESS_FILE));
        OperatorSubtaskState legacy;
        try (var h =
                new OneInputStreamOperatorTestHarness<TrainingSample, Long>(
                        new ProcessOperator<>(new LegacyState(pointer)), 1, 1, 0)) {
            h.setup();
            h.open();
            h.processElement(new StreamRecord<>(sample(3, false)));
            legacy = h.snapshot(2, 2);
        }
        try (var h = harness(conf, legacy)) {
            feed(h, 4);
            h.snapshot(3, 3);
            assertThat(h.extractOutputValues()).containsExactly(2L);
        }
    }

    /** Keeps samples and a pointer in operator state as the ProcessFunction sink did. */
    private static final class LegacyState extends ProcessFunction<TrainingSample, Long>
            implements CheckpointedFunction {
        private final String pointer;
        private transient ListState<TrainingSample> pending;
        private transient ListState<String> pointerState;
        private transient List<TrainingSample> held;

        LegacyState(String pointer) {
            this.pointer = pointer;
        }

        @Override
        public void initializeState(FunctionInitializationContext ctx) throws Exception {
            pending =
                    ctx.getOperatorStateStore()
                            .getListState(
                                    new ListStateDescriptor<>(
                                            "pending-samples", TrainingSampleTypeInfo.INSTANCE));
            pointerState =
                    ctx.getOperatorStateStore()
                            .getListState(
                                    new ListStateDescriptor<>("model-checkpoint", Types.STRING));
            held = new ArrayList<>();
        }

        @Override
        public void processElement(TrainingSample s, Context ctx, Collector<Long> out) {
            held.add(s);
        }

        @Override
        public void snapshotState(FunctionSnapshotContext ctx) throws Exception {
            pending.update(held);
            pointerState.update(List.of(pointer));
        }
    }
}
