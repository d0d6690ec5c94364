/**
 * The ELMo commands outside the live job: {@code rillet convert-elmo} (an AllenNLP ELMo to ONNX),
 * {@code rillet elmo-embed} (activations for a file of sentences) and {@code rillet bench elmo}
 * (the biLM's throughput), with the flags they share.
 */
package dev.rillet.jobs.elmo;
