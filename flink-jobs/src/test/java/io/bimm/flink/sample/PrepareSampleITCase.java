package io.bimm.flink.sample;

import static org.assertj.core.api.Assertions.assertThat;

import io.bimm.flink.decode.DecodeOptions;
import io.bimm.flink.testutil.Clips;
import io.bimm.schemas.AvroRecordTypeInfo;
import io.bimm.schemas.DeadLetter;
import io.bimm.schemas.VideoClip;
import java.awt.image.BufferedImage;
import java.io.ByteArrayOutputStream;
import java.util.ArrayList;
import java.util.List;
import javax.imageio.ImageIO;
import org.apache.flink.api.common.typeinfo.Types;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.PipelineOptions;
import org.apache.flink.runtime.testutils.MiniClusterResourceConfiguration;
import org.apache.flink.streaming.api.datastream.DataStream;
import org.apache.flink.streaming.api.datastream.SingleOutputStreamOperator;
import org.apache.flink.streaming.api.environment.StreamExecutionEnvironment;
import org.apache.flink.test.junit5.MiniClusterExtension;
import org.apache.flink.util.CloseableIterator;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The preprocessing operator in a MiniCluster with generic types disabled: the sample videos and
 * broken inputs (random bytes, a truncated file, a clip shorter than the window, a JPEG, a 16k x
 * 16k header) in, samples and dead letters out. (Kafka in and out is the job's ITCase.)
 */
class PrepareSampleITCase {
    @RegisterExtension
    static final MiniClusterExtension MINI_CLUSTER =
            new MiniClusterExtension(
                    new MiniClusterResourceConfiguration.Builder()
                            .setNumberTaskManagers(1)
                            .setNumberSlotsPerTaskManager(2)
                            .build());

    @Test
    void samplesAndDeadLettersFromAMiniCluster() throws Exception {
        List<VideoClip> clips = new ArrayList<>(Clips.sampleVideos());
        clips.addAll(Clips.brokenInputs());
        ByteArrayOutputStream jpeg = new ByteArrayOutputStream();
        ImageIO.write(new BufferedImage(64, 48, BufferedImage.TYPE_INT_RGB), "jpg", jpeg);
        clips.add(Clips.of("jpeg", jpeg.toByteArray()));

        Configuration conf = new Configuration();
        conf.set(PipelineOptions.GENERIC_TYPES, false);
        StreamExecutionEnvironment env = StreamExecutionEnvironment.getExecutionEnvironment(conf);
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
        SingleOutputStreamOperator<TrainingSample> samples =
                env.fromData(clips, AvroRecordTypeInfo.VIDEO_CLIP)
                        .process(new PrepareSampleFunction(options));
        DataStream<DeadLetter> dead = samples.getSideOutput(PrepareSampleFunction.DEAD_LETTERS);
        DataStream<String> all =
                samples.map(s -> "sample " + s.clipId + " " + s.dorsalMaskedIdx.length)
                        .returns(Types.STRING)
                        .union(
                                dead.map(d -> "dead " + d.getSourceUri() + " " + d.getReasonCode())
                                        .returns(Types.STRING));
        List<String> got = new ArrayList<>();
        try (CloseableIterator<String> it = all.executeAndCollect()) {
            it.forEachRemaining(got::add);
        }
        assertThat(got)
                .containsExactlyInAnyOrder(
                        "sample Megamind.avi 6",
                        "sample Megamind_bugy.avi 6",
                        "sample box.mp4 6",
                        "sample cup.mp4 6",
                        "dead test:random not_video",
                        "dead test:truncated not_video",
                        "dead test:short too_short",
                        "dead test:jpeg not_video",
                        "dead test:huge limit_exceeded");
    }
}
