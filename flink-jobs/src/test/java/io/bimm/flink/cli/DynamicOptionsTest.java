package io.bimm.flink.cli;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.bimm.flink.train.TrainJobOptions;
import io.bimm.model.Stage;
import java.util.Map;
import org.apache.flink.configuration.ConfigOption;
import org.apache.flink.configuration.ConfigOptions;
import org.apache.flink.configuration.Configuration;
import org.junit.jupiter.api.Test;

class DynamicOptionsTest {

    private final DynamicOptions train = DynamicOptions.accepting(TrainJobOptions.all());

    @Test
    void suggestsTheNearestKnownKey() {
        assertThatThrownBy(() -> train.configuration(Map.of("prep.paralelism", "2")))
                .hasMessage("unknown option 'prep.paralelism' (did you mean 'prep.parallelism'?)");
        assertThatThrownBy(() -> train.configuration(Map.of("kafka.bootstrap-servers", "x")))
                .hasMessageContaining("did you mean 'kafka.bootstrap'?");
        assertThatThrownBy(() -> train.configuration(Map.of("fault.throw-at", "1")))
                .hasMessageContaining("did you mean 'fault.throw-at-sample'?");
        assertThat(DynamicOptions.levenshtein("train.batchsize", "train.batch-size")).isOne();
        assertThat(DynamicOptions.levenshtein("kitten", "sitting")).isEqualTo(3);
    }

    @Test
    void flinkEnumParsingIgnoresCaseAndNamesTheValues() {
        Configuration c = train.configuration(Map.of("train.stage", "Dorsal"));
        assertThat(c.get(TrainJobOptions.STAGE)).isEqualTo(Stage.DORSAL);
        assertThatThrownBy(() -> train.configuration(Map.of("train.stage", "both")))
                .hasMessage(
                        "bad value 'both' for option 'train.stage': expected one of ventral,"
                                + " joint, dorsal.");
    }

    @Test
    void mapOptionsAndOpenPrefixesPassTheirSubKeys() {
        ConfigOption<Map<String, String>> props =
                ConfigOptions.key("kafka.properties")
                        .mapType()
                        .noDefaultValue()
                        .withDescription("Client properties.");
        DynamicOptions withMap = DynamicOptions.accepting(TrainJobOptions.BOOTSTRAP, props);
        Configuration c =
                withMap.configuration(Map.of("kafka.properties.security.protocol", "SSL"));
        assertThat(c.get(props)).containsEntry("security.protocol", "SSL");
        // without the map option, the same key is refused
        assertThatThrownBy(
                        () ->
                                DynamicOptions.accepting(TrainJobOptions.BOOTSTRAP)
                                        .configuration(
                                                Map.of(
                                                        "kafka.properties.security.protocol",
                                                        "SSL")))
                .hasMessageStartingWith("unknown option 'kafka.properties.security.protocol'");
    }
}
