// The guided experiments: each is one comparison link (runs separated by '~'; a later run lists
// only what it changes) with what it shows and the formula behind it. Every claim made here is
// asserted by tests/experiments/, on these exact links.

/**
 * @typedef {object} Experiment
 * @property {string} id
 * @property {string} title
 * @property {string} text     what to look at, and why it happens; plain text
 * @property {string} formula  the convention or formula involved, as the code computes it
 * @property {string} link     the runs, in config.mjs's link format
 * @property {{question: string, choices: string[], criterion: string}} [predict] asked before the
 *   runs start (predict.mjs): choices name the runs in link order; the answer is computed from
 *   their results by the criterion
 */

/** @type {readonly Experiment[]} */
export const EXPERIMENTS = Object.freeze([
  {
    id: 'overfitting',
    title: 'Overfitting on 1,000 samples: none, L2, dropout, both',
    text: 'With only 1,000 training digits and 30 epochs the network learns its training set almost ' +
      'perfectly while the validation loss stays far higher: the gap between the two curves is ' +
      'overfitting. L2 (λ = 0.01) and dropout (0.5 after fc1 and fc2) each make the final gap ' +
      'between validation and training loss smaller than without them. All four runs start from ' +
      'the same weights and see the same batches.',
    formula: 'L2 penalty = λ·Σw² over the kernels (no ½, so it adds 2λw to each gradient). ' +
      'Inverted dropout keeps each unit with probability 1−p and scales it by 1/(1−p) while ' +
      'training; at test time it does nothing.',
    link: 'n=1000&val=2000&test=2000&ep=30~reg=l2&lam=0.01~drop1=0.5&drop2=0.5~reg=l2&lam=0.01&drop1=0.5&drop2=0.5',
    predict: {
      question: 'Which run will end with the smallest gap between its validation and training loss?',
      choices: ['No regulariser', 'L2 (λ = 0.01)', 'Dropout 0.5', 'L2 and dropout'],
      criterion: 'smallest-gap',
    },
  },
  {
    id: 'l1-sparsity',
    title: 'L1 drives weights to zero',
    text: 'The sparsity chart counts kernel weights with |w| < 0.001. Without a regulariser it stays ' +
      'below 2 %; L1 pushes a large share of the weights into that band, and more so with a ' +
      'larger λ. Look at the fc1 histogram: a spike at zero.',
    formula: 'L1 penalty = λ·Σ|w| over the kernels; its gradient is λ·sign(w), with sign(0) = 0: a ' +
      'constant pull towards zero whatever the size of the weight.',
    link: 'n=5000&val=1000&test=2000&ep=8~reg=l1&lam=0.0001~reg=l1&lam=0.0005',
  },
  {
    id: 'vanishing',
    title: 'Vanishing gradients: sigmoid with a small initialiser',
    text: 'With sigmoid activations and weights drawn from N(0, 0.05²), the gradient reaching conv1 ' +
      'in the first steps is more than a hundred times smaller than the gradient of fc3: each ' +
      'sigmoid multiplies the backward signal by at most 0.25, and small weights shrink it ' +
      'further. Glorot initialisation narrows the gap; ReLU with He initialisation keeps all ' +
      'layers within the same order of magnitude. See the gradient-norm chart (log scale).',
    formula: 'sigmoid′(x) = σ(x)(1 − σ(x)) ≤ 0.25. Backpropagation multiplies by one such factor ' +
      'and one weight matrix per layer. random_normal: N(0, 0.05²); glorot_uniform: ' +
      'U(−l, l), l = √(6/(fan_in + fan_out)); he_uniform: l = √(6/fan_in).',
    link: 'act=sigmoid&init=random_normal&n=5000&val=1000&test=2000&ep=3~init=glorot_uniform~act=relu&init=he_uniform',
  },
  {
    id: 'exploding',
    title: 'Exploding weights and divergence',
    text: 'With momentum and a learning rate of 10 every step overshoots: within a few steps the ' +
      'weight norms grow more than tenfold, the tanh units saturate (so the gradients reaching ' +
      'the early layers collapse towards zero), and the loss passes 1,000. The run then stops ' +
      'with the status "diverged" and keeps the weights from before the bad step. The same model ' +
      'with a learning rate of 0.01 trains normally. Watch the loss and gradient-norm charts.',
    formula: 'momentum: m = μm − ηg, w += m (μ = 0.9); tanh′(x) = 1 − tanh²(x) → 0 for large |x|. ' +
      'A run stops when a loss, gradient or weight is NaN or infinite, or a batch loss exceeds 1000.',
    link: 'act=tanh&opt=momentum&lr=10&n=2000&val=0&test=500&ep=3~lr=0.01',
    predict: {
      question: 'Which run will diverge?',
      choices: ['η = 10', 'η = 0.01'],
      criterion: 'diverges',
    },
  },
  {
    id: 'initialisers',
    title: 'Initialisers compared with ReLU: zeros, random, Glorot, He',
    text: 'With every weight zero, every ReLU outputs 0, so no gradient reaches any kernel: only ' +
      'the output biases learn and the accuracy stays near chance. Small random weights ' +
      '(±0.05) learn, but more slowly than Glorot and He, whose scale follows the layer sizes.',
    formula: 'zeros: w = 0; random_uniform: U(−0.05, 0.05); glorot_uniform: l = √(6/(fan_in + ' +
      'fan_out)); he_uniform: l = √(6/fan_in); fan of a conv = channels × 5 × 5.',
    link: 'init=zeros&n=5000&val=1000&test=2000&ep=3~init=random_uniform~init=glorot_uniform~init=he_uniform',
    predict: {
      question: 'Which initialiser will reach the highest test accuracy after 3 epochs?',
      choices: ['zeros', 'random_uniform', 'glorot_uniform', 'he_uniform'],
      criterion: 'highest-test-acc',
    },
  },
  {
    id: 'early-stopping',
    title: 'Early stopping',
    text: 'Training on 1,000 samples for up to 40 epochs, the validation loss reaches its lowest ' +
      'point early and then rises. With early stopping (patience 3) the run stops a few epochs ' +
      'after the best one and restores the best weights, so its final validation loss is the ' +
      'lowest it saw; the run without it trains all 40 epochs and ends with a higher one.',
    formula: 'An epoch improves when val_loss < best − min_delta; after `patience` epochs without ' +
      'improvement, training stops (Keras\'s EarlyStopping on val_loss).',
    link: 'n=1000&val=2000&test=2000&ep=40&es=1&pat=3~es=0',
  },
  {
    id: 'standardisation',
    title: 'Standardising the inputs',
    text: 'MNIST pixels scaled to [0, 1] have a mean near 0.13. With plain SGD (η = 0.01), ' +
      'standardising them to mean 0 and standard deviation 1 makes training much faster: after ' +
      '3 epochs the training loss is clearly lower than without.',
    formula: 'x′ = (x − μ)/σ, with μ and σ the pixel mean and standard deviation of the training ' +
      'subset, applied to training, validation and test images alike.',
    link: 'opt=sgd&lr=0.01&n=5000&val=1000&test=2000&ep=3~std=1',
    predict: {
      question: 'Which run will end with the lower training loss?',
      choices: ['Pixels in [0, 1]', 'Standardised pixels'],
      criterion: 'lowest-train-loss',
    },
  },
  {
    id: 'fine-tuning',
    title: 'Fine-tuning against training from scratch on little data',
    text: 'The shipped checkpoint was trained on the digits 0 to 4 only. Freezing its convolutions, ' +
      'drawing a new fc3 and training on just 500 samples of the digits 5 to 9 reaches a higher ' +
      'test accuracy on 5 to 9 than the same network trained from scratch on the same 500 ' +
      'samples: the features learnt on other digits transfer.',
    formula: 'Frozen layers receive no update. The new head is drawn with the chosen initialiser ' +
      '(glorot_uniform) and biases of zero.',
    link: 'from=pretrained&head=1&freeze=conv1,conv2&digits=56789&n=500&val=500&test=2000&ep=10~from=scratch&head=0&freeze=',
  },
]);
