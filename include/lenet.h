/* lenet.h - the whole public API of the LeNet Lab training core.
 *
 * Networks for 28x28 grey images in 10 classes, trained by mini-batch gradient descent: LeNet-5
 * by default, or a deep MLP or a VGG-/ResNet-style CNN, each described as a list of layers
 * (see "networks" below).
 *
 * Every fallible call returns an ln_status and, when given an ln_error, fills it with a message
 * that names what was wrong. Nothing here exits, aborts or keeps global state; a trainer owns
 * every buffer it uses, all allocated when it is created.
 */
#ifndef LENET_H
#define LENET_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define LN_IMAGE_SIDE 28
#define LN_IMAGE_PIXELS 784
#define LN_CLASSES 10
#define LN_MAX_BATCH 512
#define LN_MAX_ITEMS 1000000 /* an IDX file claiming more items is rejected */
/* A batch loss above this counts as divergence, like a NaN: the softmax is computed stably, so a
 * blown-up network shows huge finite losses (the true digit given probability below e^-1000)
 * long before anything overflows. */
#define LN_DIVERGED_LOSS 1000.0f

typedef enum {
    LN_OK = 0,
    LN_E_ARG = 1,      /* an argument or a config value is out of range */
    LN_E_NOMEM = 2,    /* an allocation failed */
    LN_E_FORMAT = 3,   /* malformed input: IDX data, parameters */
    LN_E_DIVERGED = 4, /* NaN or Inf in the loss, the gradients or the weights */
    LN_E_STATE = 5     /* the call does not fit the object's state (training already finished) */
} ln_status;

typedef struct {
    ln_status status;
    char msg[256];
} ln_error;

/* ---- networks: a list of layers -------------------------------------------------------- */

/* A network is built from the config as a list of nodes (convolution, dense, batch norm,
 * activation, pooling, dropout, residual add), and everything about it follows from the list:
 * its parameter tensors (with PyTorch names), their places in the one parameter buffer, the
 * batch-norm statistics, the shapes. The families (ln_config.model):
 *   lenet5  conv1 6@5x5 -> [bn1] -> act -> avgpool 2 -> conv2 16@5x5 -> [bn2] -> act -> maxpool 2
 *           -> flatten 256 (C,H,W) -> fc1 120 -> [bn3] -> act -> dropout1 -> fc2 84 -> [bn4] -> act
 *           -> dropout2 -> fc3 10
 *   mlp     784 -> fc1 (hidden_units) -> [bn] -> act -> dropout1 -> ... hidden_layers of them ...
 *           -> fc 10. With skip, after the first hidden layer the others pair up into blocks
 *           x -> fc -> [bn] -> act -> fc -> [bn] -> + x -> act (an odd one out stays plain).
 *   cnn     a VGG-style stack of conv_layers 3x3 "same" convolutions: conv1 (channels) at 28x28
 *           -> maxpool -> stage 1 at 14x14 (channels) -> maxpool -> stage 2 at 7x7 (2 x channels,
 *           its first conv widens) -> global average pool -> dropout1 -> fc 10; each conv is
 *           followed by [bn] and act. With skip (ResNet-style), each stage's convs of equal width
 *           pair up into blocks with an identity skip, as in the mlp.
 * Every conv and dense layer is a "layer" for the metrics and the freeze mask; its batch norm
 * belongs to it. The softmax cross-entropy follows the last layer. */
#define LN_MAX_LAYERS 32      /* conv and dense layers in one network */
#define LN_MAX_NODES 160
#define LN_MAX_PARAMS 8388608 /* 2^23 trainable parameters: the largest allowed network */
#define LN_LENET5_PARAMS 44426

/* LeNet-5's layers, in forward order; bit (1u << layer) of a freeze mask names one. */
enum { LN_CONV1, LN_CONV2, LN_FC1, LN_FC2, LN_FC3 };

/* A tanh output with |y| above this, or a sigmoid output below 1 - this or above it, is saturated. */
#define LN_SATURATION 0.99f
/* Batch norm as Keras has it: moving = momentum * moving + (1 - momentum) * batch statistic
 * (the biased variance), and epsilon inside the square root. */
#define LN_BN_MOMENTUM 0.99f
#define LN_BN_EPSILON 1e-3f

typedef enum { LN_MODEL_LENET5, LN_MODEL_MLP, LN_MODEL_CNN, LN_NUM_MODELS } ln_model_family;

typedef enum {
    LN_OP_CONV,      /* 5x5 valid (lenet5) or 3x3 same (cnn), stride 1 */
    LN_OP_DENSE,     /* reads its input flattened, C,H,W order */
    LN_OP_BATCHNORM,
    LN_OP_ACT,
    LN_OP_AVGPOOL,   /* 2x2, stride 2 */
    LN_OP_MAXPOOL,   /* 2x2, stride 2 */
    LN_OP_GAP,       /* global average pooling */
    LN_OP_DROPOUT,   /* inverted; present only with a rate above 0 */
    LN_OP_ADD,       /* adds the output of node skip_from */
    LN_NUM_OPS
} ln_op;

typedef enum {
    LN_TENSOR_KERNEL, /* regularised; adamw's decay applies */
    LN_TENSOR_BIAS,
    LN_TENSOR_GAMMA, /* batch norm's scale, never regularised */
    LN_TENSOR_BETA,
    LN_TENSOR_MEAN, /* batch norm's moving statistics: not trained, in the statistics buffer */
    LN_TENSOR_VAR
} ln_tensor_kind;

typedef struct {
    char name[24];  /* PyTorch's: "conv1.weight", "bn1.running_var" */
    int kind;       /* ln_tensor_kind */
    int layer;      /* the layer it belongs to */
    int is_weight;  /* 1 for a kernel (regularised) */
    int ndim;
    int shape[4];   /* conv kernels [out][in][k][k], dense [out][in] */
    int offset;     /* first float in the parameter buffer, or for MEAN and VAR in the statistics buffer */
    int count;
} ln_tensor_info;

typedef struct {
    char name[16];  /* "conv1", "bn1", "relu1", "maxpool1", "dropout1", "add1", "gap" */
    int op;         /* ln_op */
    int shape[3];   /* output C, H, W; a dense output is C x 1 x 1 */
    int layer;      /* the conv or dense layer it belongs to or follows; -1 before the first */
    int params;     /* its trainable parameters */
    int skip_from;  /* add: the node whose output is added; -1 otherwise */
} ln_node_info;

typedef struct ln_net ln_net;

/* ---- configuration ----------------------------------------------------------------------- */

typedef enum { LN_ACT_RELU, LN_ACT_TANH, LN_ACT_SIGMOID, LN_NUM_ACTS } ln_activation;

typedef enum {
    LN_INIT_ZEROS,
    LN_INIT_RANDOM_UNIFORM, /* U(-0.05, 0.05) */
    LN_INIT_RANDOM_NORMAL,  /* N(0, 0.05), not truncated, as Keras's RandomNormal */
    LN_INIT_GLOROT_UNIFORM, /* U(-l, l), l = sqrt(6 / (fan_in + fan_out)) */
    LN_INIT_GLOROT_NORMAL,  /* truncated N, stddev sqrt(2 / (fan_in + fan_out)) */
    LN_INIT_HE_UNIFORM,     /* l = sqrt(6 / fan_in) */
    LN_INIT_HE_NORMAL,      /* stddev sqrt(2 / fan_in) */
    LN_INIT_LECUN_UNIFORM,  /* l = sqrt(3 / fan_in) */
    LN_INIT_LECUN_NORMAL,   /* stddev sqrt(1 / fan_in) */
    LN_NUM_INITS
} ln_init;

typedef enum { LN_REG_NONE, LN_REG_L1, LN_REG_L2, LN_REG_ELASTICNET, LN_NUM_REGS } ln_reg;

typedef enum {
    LN_OPT_SGD,
    LN_OPT_MOMENTUM,
    LN_OPT_NESTEROV,
    LN_OPT_ADAM,
    LN_OPT_RMSPROP,
    LN_OPT_ADAGRAD,
    LN_OPT_ADAMW, /* adam with decoupled weight decay on the kernels */
    LN_NUM_OPTS
} ln_opt;

/* Ranges and defaults: the table in config.c. */
typedef struct {
    /* model */
    int model;         /* ln_model_family */
    int hidden_layers; /* mlp */
    int hidden_units;  /* mlp */
    int conv_layers;   /* cnn */
    int channels;      /* cnn: the first stage's */
    int batch_norm;    /* after every conv and dense layer but the last, before the activation */
    int skip;          /* identity skips (mlp, cnn) */
    int activation; /* ln_activation */
    int init;       /* ln_init, for kernels; biases start at zero */
    /* regulariser on kernels: L1 lambda*sum|w|, L2 lambda*sum w^2,
     * ElasticNet lambda*(l1_ratio*sum|w| + (1-l1_ratio)*sum w^2) */
    int reg;
    float reg_lambda;
    float reg_l1_ratio;
    float dropout1; /* lenet5: after fc1; mlp: after every hidden layer; cnn: before fc */
    float dropout2; /* lenet5: after fc2 */
    /* optimiser (Keras's update rules) */
    int optimizer;
    float lr;
    float momentum; /* momentum and nesterov */
    float beta1, beta2;
    float rho;          /* rmsprop */
    float epsilon;      /* adam, rmsprop, adagrad */
    float adagrad_init; /* adagrad's initial accumulator */
    float weight_decay; /* adamw: w -= lr * weight_decay * w on kernels each step */
    float clip_norm;    /* above 0: the gradient is scaled down to this global L2 norm when longer */
    /* schedule */
    int batch_size;
    int epochs;
    /* data */
    int train_size;      /* training samples */
    int val_size;        /* validation samples held out of the training set, besides train_size */
    int test_size;       /* test samples evaluated */
    uint32_t digit_mask; /* bit d set: digit d is used (train, validation and test) */
    int standardize;     /* z-score with the training subset's pixel mean and stddev */
    int augment_shift;   /* random shifts of up to this many pixels */
    /* fraction of the training samples (exactly round(label_noise * train count), chosen with
     * the label-noise stream) whose label is replaced by one drawn uniformly from the classes in
     * digit_mask; validation and test labels are never touched */
    float label_noise;
    /* early stopping on the validation loss (needs val_size > 0) */
    int early_stopping;
    int patience;
    float min_delta;
    int restore_best;
    uint32_t freeze_mask; /* bit (1u << layer): that layer's parameters are not updated (lenet5) */
    /* the activation layer (1 = the first) whose pre-activation percentiles ln_metrics reports;
     * 0 = the last */
    int watch;
    uint32_t seed;
} ln_config;

/* Fills every field with its default (relu, glorot_uniform, adam lr 1e-3, batch 32, 10 epochs,
 * 10000 training samples, seed 1, …: the table in config.c). */
void ln_config_default(ln_config *c);

/* Checks every field against its range in config.c, that early stopping has a validation set,
 * and that the network fits its family and LN_MAX_PARAMS; nothing here depends on the data. */
ln_status ln_config_check(const ln_config *c, ln_error *err);

/* ---- describing a network ----------------------------------------------------------------- */

/* Builds the description of the config's network, without buffers for training. */
ln_status ln_net_create(ln_net **out, const ln_config *cfg, ln_error *err);
void ln_net_free(ln_net *n);
int ln_net_num_nodes(const ln_net *n);
const ln_node_info *ln_net_node(const ln_net *n, int i); /* NULL when out of range */
int ln_net_num_layers(const ln_net *n);
const char *ln_net_layer_name(const ln_net *n, int layer); /* NULL when out of range */
/* Activation layers: the nodes with an activation, in order; ln_metrics' per-activation arrays
 * follow this order. Returns the node index, -1 when out of range. */
int ln_net_num_act_layers(const ln_net *n);
int ln_net_act_node(const ln_net *n, int i);
int ln_net_num_tensors(const ln_net *n);
const ln_tensor_info *ln_net_tensor(const ln_net *n, int i); /* NULL when out of range */
int ln_net_num_params(const ln_net *n); /* trainable floats */
int ln_net_num_stats(const ln_net *n);  /* batch-norm moving statistics */

/* ---- data -------------------------------------------------------------------------------- */

typedef struct ln_dataset ln_dataset;

/* Parses an IDX3 images file (magic 0x00000803, n x 28 x 28 uint8) and an IDX1 labels file
 * (magic 0x00000801, n uint8 in 0..9). Rejects a wrong magic, other dimensions, a count above
 * LN_MAX_ITEMS or different between the files, and data shorter or longer than declared.
 * The bytes are copied: the caller may free them afterwards. */
ln_status ln_dataset_from_idx(ln_dataset **out, const uint8_t *images, size_t images_len,
                              const uint8_t *labels, size_t labels_len, ln_error *err);
void ln_dataset_free(ln_dataset *d);
int ln_dataset_count(const ln_dataset *d);
const uint8_t *ln_dataset_image(const ln_dataset *d, int i); /* 784 bytes, row-major */
int ln_dataset_label(const ln_dataset *d, int i);

/* ---- training ---------------------------------------------------------------------------- */

typedef struct ln_trainer ln_trainer;

/* Builds a network and everything its training needs. The datasets are borrowed: they must outlive
 * the trainer. Initial weights come from the seed's initialisation stream. */
ln_status ln_trainer_create(ln_trainer **out, const ln_config *cfg, const ln_dataset *train,
                            const ln_dataset *test, ln_error *err);
void ln_trainer_free(ln_trainer *t);

typedef enum {
    LN_EV_STEP = 1,  /* a training step finished: step metrics are fresh */
    LN_EV_EVAL = 2,  /* an evaluation batch finished */
    LN_EV_EPOCH = 3, /* an epoch's metrics are complete */
    LN_EV_DONE = 4   /* training is over (see stop_reason); further calls return LN_E_STATE */
} ln_event;

typedef enum {
    LN_STOP_NONE,     /* still training */
    LN_STOP_EPOCHS,   /* all epochs done */
    LN_STOP_EARLY,    /* early stopping */
    LN_STOP_DIVERGED, /* NaN or Inf: the weights are those before the bad step */
} ln_stop_reason;

/* The work the next unit does. */
typedef enum {
    LN_PHASE_TRAIN,      /* training steps */
    LN_PHASE_EVAL_TRAIN, /* evaluating the training subset */
    LN_PHASE_EVAL_VAL,   /* evaluating the validation set */
    LN_PHASE_EVAL_TEST,  /* evaluating the test set, then closing the epoch */
    LN_PHASE_DONE        /* closing the run, or over */
} ln_phase;

/* Does one unit of work: one training step, one evaluation batch (at most 256 samples) or the
 * end-of-epoch bookkeeping, and says which in *ev. The numbers do not depend on how the units
 * are grouped into calls. After an epoch's training steps come evaluations of the training
 * subset (its first 10000 samples at most, in inference mode), the validation set and the test
 * set; then LN_EV_EPOCH. Returns LN_E_DIVERGED (with *ev = LN_EV_DONE) when a step produced a
 * NaN or Inf or a loss above LN_DIVERGED_LOSS; the trainer then keeps the weights from before
 * that step. */
ln_status ln_trainer_advance(ln_trainer *t, ln_event *ev, ln_error *err);

/* Runs units until the next epoch ends or training stops. */
ln_status ln_trainer_run_epoch(ln_trainer *t, ln_error *err);

/* Every field is 4 bytes wide, so the struct reads as an array from JavaScript. */
typedef struct {
    int32_t epoch;       /* epochs completed */
    int32_t step;        /* training steps done */
    int32_t steps_per_epoch;
    int32_t stop_reason; /* ln_stop_reason */
    int32_t phase;       /* ln_phase */
    /* the last training step (a batch, dropout active) */
    float loss;    /* mean cross-entropy */
    float penalty; /* regulariser term */
    float acc;
    /* Per-layer arrays hold ln_net_num_layers entries (then zeros); per-activation arrays hold
     * ln_net_num_act_layers. */
    float grad_norm[LN_MAX_LAYERS];   /* L2 norm of the data+penalty gradient, all the layer's tensors */
    float weight_norm[LN_MAX_LAYERS]; /* L2 norm of the layer's parameters */
    float update_ratio[LN_MAX_LAYERS]; /* ||w after - w before|| / ||w before|| over the step */
    float grad_total; /* global L2 norm of the gradient, before clipping */
    /* 15th, 50th and 85th percentiles of the watched activation layer's inputs (the
     * pre-activations) over the batch */
    float pre_p15, pre_p50, pre_p85;
    /* the last evaluation batch: its split (an ln_phase) and the samples of it done so far */
    int32_t eval_split, eval_done, eval_total;
    /* the last completed epoch (loss = cross-entropy; penalty apart) */
    float train_loss, train_acc;
    float val_loss, val_acc;
    float test_loss, test_acc;
    float epoch_penalty;
    float sparsity;                      /* fraction of kernel weights with |w| < 1e-3 */
    float layer_sparsity[LN_MAX_LAYERS];
    /* the same epoch's training steps: means of the step losses and accuracies, mean and max of
     * the gradient norms, and the weight norms once its last step was taken */
    float epoch_loss, epoch_acc;
    float grad_mean[LN_MAX_LAYERS];
    float grad_max[LN_MAX_LAYERS];
    float epoch_weight_norm[LN_MAX_LAYERS];
    int32_t best_epoch; /* early stopping: the epoch with the lowest validation loss */
    float best_val_loss;
    /* restore-best put that epoch's weights back at the end (after an early stop or the last
     * epoch); the evaluation and weight fields above are then that epoch's. 0: nothing restored. */
    int32_t restored_epoch;
    int32_t train_count, val_count, test_count; /* samples in each split after digit_mask */
    /* FNV-1a hash of the dataset indices of the last training batch, in order: two runs whose
     * hashes agree step by step saw the same batches. */
    uint32_t batch_hash;
    /* Activation statistics of the last completed epoch, read (never changed) while the training
     * subset is evaluated, per activation layer (LeNet-5: conv1, conv2, fc1, fc2). dead: with relu, the
     * fraction of units that output 0 for every evaluated sample (a conv unit is a feature map, so
     * it is dead when it is 0 at every position); NaN for tanh and sigmoid. saturated: with tanh,
     * the fraction of all outputs with |y| > LN_SATURATION; with sigmoid, below 1 - LN_SATURATION
     * or above it; NaN for relu. */
    float dead[LN_MAX_LAYERS];
    float saturated[LN_MAX_LAYERS];
    float act_mean[LN_MAX_LAYERS]; /* mean and standard deviation of all the layer's outputs */
    float act_std[LN_MAX_LAYERS];
} ln_metrics;

void ln_trainer_metrics(const ln_trainer *t, ln_metrics *m);

/* The trainer's network (owned by the trainer). */
const ln_net *ln_trainer_net(const ln_trainer *t);

/* Counts the layer's kernel weights into `bins` equal bins over [-r, r], r = max |w| (r = 1e-3
 * when every weight is 0); writes r to *range. */
ln_status ln_trainer_histogram(const ln_trainer *t, int layer, int bins, uint32_t *counts,
                               float *range, ln_error *err);

/* Counts the outputs of activation layer `act_layer` for the last batch the network saw (a
 * training step or an evaluation batch) into `bins` equal bins over [lo, hi]: [0, 1] for
 * sigmoid, [-1, 1] for tanh, [0, max] for relu. */
ln_status ln_trainer_act_histogram(const ln_trainer *t, int act_layer, int bins, uint32_t *counts,
                                   float *lo, float *hi, ln_error *err);

/* The ln_net_num_params parameters, in ln_net_tensor order. */
const float *ln_trainer_params(const ln_trainer *t);
/* The ln_net_num_stats batch-norm moving statistics (the MEAN and VAR tensors). */
const float *ln_trainer_stats(const ln_trainer *t);

/* Replaces every parameter. All values must be finite; on error nothing changes. Resets the
 * optimiser state. */
ln_status ln_trainer_set_params(ln_trainer *t, const float *params, ln_error *err);
/* Replaces the moving statistics; every value finite, variances not negative. */
ln_status ln_trainer_set_stats(ln_trainer *t, const float *stats, ln_error *err);

/* Draws fresh initial weights for one layer (zero bias) from the initialisation stream, as for
 * a new classifier head when fine-tuning. */
ln_status ln_trainer_reinit_layer(ln_trainer *t, int layer, ln_error *err);

/* Class probabilities for n images of 784 pixels in [0, 1] (the trainer applies its own
 * standardisation). probs receives n x 10 floats. */
ln_status ln_trainer_predict(ln_trainer *t, const float *pixels, int n, float *probs,
                             ln_error *err);

/* Predicted digit for each test sample at the last completed test evaluation (one under way
 * does not show until it ends), and the index of that sample in the test dataset; test_count
 * entries each. */
const uint8_t *ln_trainer_test_predictions(const ln_trainer *t);
const int32_t *ln_trainer_test_indices(const ln_trainer *t);

/* The label each sample of the training file is trained with, in file order (count entries):
 * the file's own label, except where label noise replaced it. Validation samples, though drawn
 * from the same file, are always evaluated against the file's labels. */
const uint8_t *ln_trainer_train_labels(const ln_trainer *t);

/* Evaluates the test subset with the weights the trainer now holds (after set_params, say) and
 * publishes the result as the latest test loss, accuracy and predictions, so that what is shown
 * describes those weights. An evaluation under way is not disturbed. */
ln_status ln_trainer_evaluate_test(ln_trainer *t, ln_error *err);

/* ---- saving and restoring a run ----------------------------------------------------------- */

/* A trainer's whole state as a flat byte buffer: weights, optimiser state and step count, the
 * four random streams, the position in the data (phase, cursor, this epoch's sample order), the
 * epoch's aggregates in progress, early stopping's state and best weights, the last predictions
 * and every metric. The noisy training labels are not stored: they follow from the config and the
 * data, and a fresh trainer rebuilds them identically. Restoring it into a fresh trainer and advancing gives, bit for bit, what the
 * saved trainer would have given. The layout is the native byte order (little-endian in wasm),
 * with a magic number and a version; its size depends on the data selection.
 *
 * A state may be loaded into a trainer whose config differs (a branch). The data selection must
 * match: seed, train_size, val_size, test_size, digit_mask, standardize and label_noise, and the
 * datasets themselves (checked through a hash of the selected indices and their labels, the
 * training labels as trained with after label noise); anything else applies
 * from then on. The batch size may change only at an epoch boundary. A change of optimizer
 * resets its state (moments, accumulators, step count), as a fresh optimiser starts; a change of
 * its hyperparameters (lr, momentum, betas, ...) keeps the state. Epochs and early stopping are
 * decided again at an epoch boundary under the new config: a run saved after its last epoch
 * continues when the new config has more. */
size_t ln_trainer_state_size(const ln_trainer *t);
/* Writes the state into buf (len >= ln_trainer_state_size). */
ln_status ln_trainer_save_state(const ln_trainer *t, uint8_t *buf, size_t len, ln_error *err);
/* Replaces the trainer's state with a saved one. Checks the size, the magic and version, that
 * the data selection matches and that every index and value is in range; on error (LN_E_ARG for
 * a selection or batch size that does not fit, LN_E_FORMAT for a malformed buffer) nothing
 * changes. */
ln_status ln_trainer_load_state(ln_trainer *t, const uint8_t *buf, size_t len, ln_error *err);

#ifdef __cplusplus
}
#endif

#endif
