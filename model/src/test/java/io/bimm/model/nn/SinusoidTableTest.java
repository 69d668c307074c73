package io.bimm.model.nn;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.within;

import org.junit.jupiter.api.Test;

class SinusoidTableTest {

    @Test
    void valuesFollowTheClosedForm() {
        int d = 8;
        float[] t = SinusoidTable.values(50, d);
        // position 0: sin 0 = 0 on even columns, cos 0 = 1 on odd columns
        assertThat(t).startsWith(0f, 1f, 0f, 1f, 0f, 1f, 0f, 1f);
        // position 3, column 0 and 1: angle 3 / 10000^0
        assertThat(t[3 * d]).isCloseTo((float) Math.sin(3), within(1e-6f));
        assertThat(t[3 * d + 1]).isCloseTo((float) Math.cos(3), within(1e-6f));
        // position 49, columns 6 and 7 share the exponent 2*3/8: 10000^0.75 = 1000
        assertThat(t[49 * d + 6]).isCloseTo((float) Math.sin(0.049), within(1e-6f));
        assertThat(t[49 * d + 7]).isCloseTo((float) Math.cos(0.049), within(1e-6f));
        // columns 2 and 3: 10000^(2/8) = 10
        assertThat(t[17 * d + 2]).isCloseTo((float) Math.sin(1.7), within(1e-6f));
    }
}
