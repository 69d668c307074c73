/** Ventral random and dorsal tube masking per SPEC section 3. */
package io.bimm.flink.masking;
