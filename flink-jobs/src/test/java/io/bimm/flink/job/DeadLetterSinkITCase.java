package io.bimm.flink.job;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.sample.PrepOptions;
import io.bimm.flink.sample.PrepareSampleFunction;
import io.bimm.flink.sample.TrainingSample;
import io.bimm.flink.testutil.Clips;
import io.bimm.flink.testutil.DeadLetterTopic;
import io.bimm.flink.testutil.HostileCorpus;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.DeadLetterFitter;
import io.bimm.schemas.OriginalBytesState;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.Random;
import org.apache.flink.api.common.eventtime.WatermarkStrategy;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.util.CloseableIterator;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * Issue 22 end to end: into a dead-letter topic that takes 1 MiB, a 1.5 MB clip FFmpeg rejects, a
 * 1.5 MB value that is not Avro and a 19-byte record declaring a 2 GiB clip id all arrive as
 * letters with reason, size and SHA-256, the large originals truncated; the job finishes.
 */
class DeadLetterSinkITCase {

    private static final int ONE_MIB = 1 << 20;

    @Test
    void oversizedAndHostileRecordsBecomeLettersThatFitTheTopic() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            String bootstrap = kafka.bootstrapServers();
            kafka.createTopics(1, List.of(Topics.CLIPS), 16 << 20);
            kafka.createTopics(1, List.of(Topics.DEADLETTER), ONE_MIB);

            byte[] bigClipData = random(1_500_000, 1);
            byte[] notAvro = random(1_500_000, 2);
            byte[] hostile = twoGibClipId();
            try (KafkaProducer<String, byte[]> p =
                    new KafkaProducer<>(
                            Map.of("bootstrap.servers", bootstrap, "max.request.size", 16 << 20),
                            new StringSerializer(),
                            new ByteArraySerializer())) {
                VideoClip clip = Clips.of("big", bigClipData);
                p.send(new ProducerRecord<>(Topics.CLIPS, "big", codec().encode(clip))).get();
                p.send(new ProducerRecord<>(Topics.CLIPS, "garbage", notAvro)).get();
                p.send(new ProducerRecord<>(Topics.CLIPS, "hostile", hostile)).get();
            }

            Configuration conf = new Configuration();
            conf.set(PipelineOptions.GENERIC_TYPES, false);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(1);
            SingleOutputStreamOperator<VideoClip> decoded =
                    env.fromSource(
                                    ClipSources.records(
                                            bootstrap,
                                            Topics.CLIPS,
                                            "dead-letter-it",
                                            true,
                                            new Properties()),
                                    WatermarkStrategy.noWatermarks(),
                                    "kafka-clips")
                            .process(new DecodeClipFunction());
            SingleOutputStreamOperator<TrainingSample> samples =
                    decoded.process(new PrepareSampleFunction(prepOptions()));
            decoded.getSideOutput(DeadLetters.TAG)
                    .union(samples.getSideOutput(PrepareSampleFunction.DEAD_LETTERS))
                    .sinkTo(DeadLetters.sink(bootstrap, Topics.DEADLETTER, new Properties()));
            List<String> got = new ArrayList<>();
            // Before the fix the sink's RecordTooLargeException failed the job here.
            try (CloseableIterator<String> it =
                    samples.map(s -> s.clipId).returns(Types.STRING).executeAndCollect()) {
                it.forEachRemaining(got::add);
            }
            assertThat(got).isEmpty();

            Map<String, DeadLetter> byKey = new HashMap<>();
            for (DeadLetter d : DeadLetterTopic.read(bootstrap, 3)) {
                String key =
                        d.getKey() == null
                                ? "none"
                                : java.nio.charset.StandardCharsets.UTF_8
                                        .decode(d.getKey().duplicate())
                                        .toString();
                assertThat(byKey.put(key, d)).as("one letter for " + key).isNull();
            }
            assertThat(byKey).containsOnlyKeys("big", "garbage", "hostile");

            DeadLetter big = byKey.get("big");
            assertThat(big.getStage()).isEqualTo("decode");
            assertThat(big.getReasonCode()).isEqualTo("not_video");
            assertFitted(big, bigClipData, OriginalBytesState.TRUNCATED);

            DeadLetter garbage = byKey.get("garbage");
            assertThat(garbage.getReasonCode()).isEqualTo("bad_record");
            assertThat(garbage.getTopic()).isEqualTo(Topics.CLIPS);
            assertThat(garbage.getOffset()).isEqualTo(1L);
            assertFitted(garbage, notAvro, OriginalBytesState.TRUNCATED);

            DeadLetter h = byKey.get("hostile");
            assertThat(h.getReasonCode()).isEqualTo("bad_record");
            assertThat(h.getMessage()).contains("clipId declares 2147483638 bytes");
            assertThat(h.getOffset()).isEqualTo(2L);
            assertFitted(h, hostile, OriginalBytesState.COMPLETE);
        }
    }

    private static void assertFitted(DeadLetter d, byte[] original, OriginalBytesState state) {
        assertThat(d.getOriginalBytesState()).isEqualTo(state);
        assertThat(d.getOriginalSize()).isEqualTo((long) original.length);
        assertThat(d.getOriginalSha256())
                .isEqualTo(DeadLetterFitter.sha256(ByteBuffer.wrap(original)));
        byte[] kept = new byte[d.getOriginalBytes().remaining()];
        d.getOriginalBytes().duplicate().get(kept);
        assertThat(kept).isEqualTo(java.util.Arrays.copyOf(original, kept.length));
        if (state == OriginalBytesState.TRUNCATED) {
            assertThat(kept.length).isBetween(ONE_MIB - 4096, ONE_MIB);
        } else {
            assertThat(kept).hasSize(original.length);
        }
    }

    private static PrepOptions prepOptions() {
        return PrepOptions.of(
                DecodeOptions.builder()
                        .optSize(32)
                        .optFrames(4)
                        .optStride(2)
                        .optShortClipPolicy(DecodeOptions.ShortClipPolicy.REJECT)
                        .build(),
                1);
    }

    private static AvroCodec<VideoClip> codec() {
        return AvroCodec.of(VideoClip.class);
    }

    private static byte[] random(int n, long seed) {
        byte[] b = new byte[n];
        new Random(seed).nextBytes(b);
        return b;
    }

    /** The 19-byte record declaring a 2 GiB clip id ({@link HostileCorpus#twoGibClipId()}). */
    static byte[] twoGibClipId() {
        return HostileCorpus.twoGibClipId();
    }
}
