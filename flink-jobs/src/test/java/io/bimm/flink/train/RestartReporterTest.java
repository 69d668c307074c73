package io.bimm.flink.train;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.List;
import org.apache.flink.configuration.Configuration;
import org.apache.flink.configuration.RestartStrategyOptions;
import org.junit.jupiter.api.Test;

class RestartReporterTest {

    /** The exception history as Flink's REST API returns it (newest first). */
    private static final String HISTORY =
            """
            {"exceptionHistory": {"truncated": false, "entries": [
              {"exceptionName": "org.apache.flink.runtime.execution.SuppressRestartsException",
               "stacktrace": "org.apache.flink.runtime.execution.SuppressRestartsException: \
            Unrecoverable failure.\\n\\tat a.b(C.java:1)\\nCaused by: java.io.IOException: \
            Model checkpoint /c/step-000000000002 is unusable\\n\\tat d.e(F.java:2)\\n\\t... 3 more",
               "timestamp": 2000, "failureLabels": {}, "concurrentExceptions": []},
              {"exceptionName": "java.lang.RuntimeException",
               "stacktrace": "java.lang.RuntimeException: Injected fault at sample 3\\n\\tat x",
               "timestamp": 1000, "failureLabels": {}, "concurrentExceptions": []}
            ]}}
            """;

    @Test
    void parsesRootCausesOldestLast() {
        List<RestartReporter.Failure> f = RestartReporter.parse(HISTORY);
        assertThat(f)
                .containsExactly(
                        new RestartReporter.Failure(
                                2000,
                                "java.io.IOException: Model checkpoint /c/step-000000000002 is"
                                        + " unusable"),
                        new RestartReporter.Failure(
                                1000, "java.lang.RuntimeException: Injected fault at sample 3"));
        assertThat(RestartReporter.parse("{\"exceptionHistory\": {\"entries\": []}}")).isEmpty();
    }

    @Test
    void theBoundOfTheRestartStrategy() {
        Configuration defaults = TrainRunner.flinkConfig(new Configuration(), true);
        assertThat(RestartReporter.maxAttempts(defaults)).isEqualTo(TrainRunner.RESTART_ATTEMPTS);
        Configuration fixed = new Configuration();
        fixed.set(RestartStrategyOptions.RESTART_STRATEGY, "fixed-delay");
        fixed.set(RestartStrategyOptions.RESTART_STRATEGY_FIXED_DELAY_ATTEMPTS, 4);
        assertThat(RestartReporter.maxAttempts(TrainRunner.flinkConfig(fixed, true))).isEqualTo(4);
        Configuration none = new Configuration();
        none.set(RestartStrategyOptions.RESTART_STRATEGY, "none");
        assertThat(RestartReporter.maxAttempts(none)).isZero();
    }
}
