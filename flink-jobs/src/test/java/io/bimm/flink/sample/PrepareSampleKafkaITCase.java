package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.job.ClipSources;
import io.bimm.flink.job.DeadLetters;
import io.bimm.flink.job.DecodeClipFunction;
import io.bimm.flink.kafka.EmbeddedKafka;
import io.bimm.flink.testutil.Clips;
import io.bimm.flink.testutil.DeadLetterTopic;
import io.bimm.schemas.AvroCodec;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.Topics;
import io.bimm.schemas.VideoClip;
import java.nio.ByteBuffer;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Properties;
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
 * The preprocessing half of the job between a real broker and a MiniCluster: the sample videos and
 * broken inputs (a record that is not Avro, random bytes, a truncated file, a clip shorter than the
 * window, a 16k x 16k header) go to {@code bimm.clips}; every video becomes a sample and every
 * broken input exactly one dead letter on {@code bimm.deadletter} with its reason, stage and
 * original bytes.
 */
class PrepareSampleKafkaITCase {

    @Test
    void samplesFromTheTopicAndOneDeadLetterPerBrokenInput() throws Exception {
        try (EmbeddedKafka kafka = EmbeddedKafka.startEphemeral()) {
            kafka.createDefaultTopics(2);
            String bootstrap = kafka.bootstrapServers();
            List<VideoClip> clips = new ArrayList<>(Clips.sampleVideos());
            clips.addAll(Clips.brokenInputs());
            ByteBuffer random =
                    clips.stream()
                            .filter(c -> c.getClipId().equals("random"))
                            .findFirst()
                            .orElseThrow()
                            .getData();
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
            for (DeadLetter d : DeadLetterTopic.read(bootstrap, 5)) {
                dead.add(d.getSourceUri() + " " + d.getStage() + " " + d.getReasonCode());
                if ("test:random".equals(d.getSourceUri())) {
                    assertThat(d.getOriginalBytes()).isEqualTo(random);
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
}
