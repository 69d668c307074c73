package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.job.ClipSources;
import io.bimm.flink.job.DeadLetters;
import io.bimm.flink.job.DecodeClipFunction;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Videos;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.ByteArrayDeserializer;
import org.apache.kafka.common.serialization.ByteArraySerializer;
import org.apache.kafka.common.serialization.StringSerializer;
import org.junit.jupiter.api.Test;

/**
 * The preprocessing half of the job between a real broker and a MiniCluster: the sample videos and
 * broken inputs (a record that is not Avro, random bytes, a truncated file, a clip shorter than the
 * window, a 16k x 16k header) go to {@code bimm.clips}; every video becomes a sample and every
 * broken input exactly one dead letter on {@code bimm.deadletter} with its reason, stage and
 * original bytes.
 */
class PrepareSampleKafkaITCase {

    private static VideoClip clip(String id, byte[] data) {
        return VideoClip.newBuilder()
                .setClipId(id)
                .setSourceUri("test:" + id)
                .setSegmentIndex(0)
                .setContainer("")
                .setCodec("")
                .setData(ByteBuffer.wrap(data))
                .setFrameRate(30)
                .setWidth(0)
                .setHeight(0)
                .setDurationMicros(0)
                .setIngestTimestamp(Instant.EPOCH)
                .setMetadata(Map.of())
                .build();
    }

    @Test
    void samplesFromTheTopicAndOneDeadLetterPerBrokenInput() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(2);
            String bootstrap = kafka.bootstrapServers();
            List<VideoClip> clips = new ArrayList<>();
            for (String v :
                    new String[] {"Megamind.avi", "Megamind_bugy.avi", "box.mp4", "cup.mp4"}) {
                clips.add(clip(v, Videos.bytes(v)));
            }
            byte[] random = new byte[10_000];
            new Random(4).nextBytes(random);
            clips.add(clip("random", random));
            clips.add(clip("truncated", Arrays.copyOf(Videos.bytes("box.mp4"), 4096)));
            // Header and the first 6 frames: decodes, but the window needs 8.
            clips.add(clip("short", Arrays.copyOf(Videos.bytes("Megamind.avi"), 60_000)));
            clips.add(clip("huge", Videos.header16k()));
            byte[] notAvro = "not an avro record".getBytes(java.nio.charset.StandardCharsets.UTF_8);
            try (KafkaProducer<String, byte[]> p =
                    new KafkaProducer<>(
                            Map.of("bootstrap.servers", bootstrap, "max.request.size", 16 << 20),
                            new StringSerializer(),
                            new ByteArraySerializer())) {
                AvroCodec<VideoClip> codec = AvroCodec.of(VideoClip.class);
                for (VideoClip c : clips) {
                    p.send(new ProducerRecord<>(Topics.CLIPS, c.getClipId(), codec.encode(c)))
                            .get();
                }
                p.send(new ProducerRecord<>(Topics.CLIPS, "garbage", notAvro)).get();
            }

            Configuration conf = new Configuration();
            conf.set(PipelineOptions.GENERIC_TYPES, false);
            StreamExecutionEnvironment env =
                    StreamExecutionEnvironment.getExecutionEnvironment(conf);
            env.setParallelism(2);
            PrepOptions options =
                    PrepOptions.of(
                            DecodeOptions.builder()
                                    .optSize(32)
                                    .optFrames(4)
                                    .optStride(2)
                                    .optShortClipPolicy(DecodeOptions.ShortClipPolicy.REJECT)
                                    .build(),
                            1);
            SingleOutputStreamOperator<VideoClip> decoded =
                    env.fromSource(
                                    ClipSources.records(
                                            bootstrap,
                                            Topics.CLIPS,
                                            "prep-it",
                                            true,
                                            new Properties()),
                                    WatermarkStrategy.noWatermarks(),
                                    "kafka-clips")
                            .process(new DecodeClipFunction());
            SingleOutputStreamOperator<TrainingSample> samples =
                    decoded.rebalance().process(new PrepareSampleFunction(options));
            decoded.getSideOutput(DeadLetters.TAG)
                    .union(samples.getSideOutput(PrepareSampleFunction.DEAD_LETTERS))
                    .sinkTo(DeadLetters.sink(bootstrap, Topics.DEADLETTER, new Properties()));
            List<String> got = new ArrayList<>();
            try (CloseableIterator<String> it =
                    samples.map(s -> s.clipId + " " + s.dorsalMaskedIdx.length)
                            .returns(Types.STRING)
                            .executeAndCollect()) {
                it.forEachRemaining(got::add);
            }
            assertThat(got)
                    .containsExactlyInAnyOrder(
                            "Megamind.avi 6", "Megamind_bugy.avi 6", "box.mp4 6", "cup.mp4 6");

            List<String> dead = new ArrayList<>();
            for (DeadLetter d : readDeadLetters(bootstrap, 5)) {
                dead.add(d.getSourceUri() + " " + d.getStage() + " " + d.getReasonCode());
                if ("test:random".equals(d.getSourceUri())) {
                    assertThat(d.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(random));
                }
                if ("deserialize".equals(d.getStage())) {
                    assertThat(d.getOriginalBytes()).isEqualTo(ByteBuffer.wrap(notAvro));
                    assertThat(d.getTopic()).isEqualTo(Topics.CLIPS);
                }
                assertThat(d.getMessage()).isNotBlank();
                if ("decode".equals(d.getStage())) {
                    // The clip id as key: with the source URI it locates the clip.
                    assertThat(
                                    java.nio.charset.StandardCharsets.UTF_8
                                            .decode(d.getKey())
                                            .toString())
                            .isEqualTo(d.getSourceUri().substring("test:".length()));
                }
            }
            assertThat(dead)
                    .hasSize(5)
                    .contains(
                            "test:random decode not_video",
                            "test:truncated decode not_video",
                            "test:short decode too_short",
                            "test:huge decode limit_exceeded")
                    .anySatisfy(s -> assertThat(s).endsWith("deserialize bad_record"));
        }
    }

    /** All dead letters on the topic: waits until {@code expected} arrived, then a little more. */
    private static List<DeadLetter> readDeadLetters(String bootstrap, int expected) {
        List<DeadLetter> out = new ArrayList<>();
        try (KafkaConsumer<byte[], byte[]> c =
                new KafkaConsumer<>(
                        Map.of(
                                ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG,
                                bootstrap,
                                ConsumerConfig.MAX_PARTITION_FETCH_BYTES_CONFIG,
                                Topics.DEFAULT_MAX_MESSAGE_BYTES),
                        new ByteArrayDeserializer(),
                        new ByteArrayDeserializer())) {
            List<TopicPartition> parts = new ArrayList<>();
            c.partitionsFor(Topics.DEADLETTER)
                    .forEach(p -> parts.add(new TopicPartition(Topics.DEADLETTER, p.partition())));
            c.assign(parts);
            c.seekToBeginning(parts);
            AvroCodec<DeadLetter> codec = AvroCodec.of(DeadLetter.class);
            long deadline = System.currentTimeMillis() + 60_000;
            long quietUntil = Long.MAX_VALUE;
            while (System.currentTimeMillis() < Math.min(deadline, quietUntil)) {
                c.poll(Duration.ofMillis(500)).forEach(r -> out.add(codec.decode(r.value())));
                if (out.size() >= expected && quietUntil == Long.MAX_VALUE) {
                    quietUntil = System.currentTimeMillis() + 2_000; // catch any duplicate
                }
            }
        }
        return out;
    }
}
