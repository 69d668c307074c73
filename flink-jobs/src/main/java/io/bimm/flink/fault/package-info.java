/** Deliberate faults for the fault tests of a real cluster: an operator exception, a NaN step. */
package io.bimm.flink.fault;
