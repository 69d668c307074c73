/**
 * The progressive prediction targets of SPEC section 2: V1 Gabor, V2 contour, V4 RGB, MT motion.
 */
package io.bimm.flink.targets;
