/**
 * Bundling shared by the operators that run a model over buffered input: the flush triggers ({@link
 * dev.rillet.bundle.BundlingOperator}), model updates on a second input ({@link
 * dev.rillet.bundle.ModelControlledOperator}) and the batch and bundle limits that default by the
 * execution provider the model runs on ({@link dev.rillet.bundle.BatchLimit}).
 */
package dev.rillet.bundle;
