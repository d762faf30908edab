// The guided experiments: each is one comparison link (runs separated by '~'; a later run lists
// only what it changes) with what it shows, the charts that show it and the formula behind it.
// Every claim made here is asserted by tests/experiments/ on these links, over several seeds
// other than the link's own (seed 1), with margins; numbers quoted in a text are ranges over seeds.

/** The charts an experiment may point to; the page highlights them. */
// 'summary': the sweep panel's chart of final numbers against the swept value (web/page/sweep-panel.mjs).
// 'gradFlow': each layer's gradient norm across depth; 'updateRatio': each layer's
// update-to-weight ratio; 'actStats': each activation layer's mean, spread and saturated or dead
// share; 'actHist': one layer's activation histogram; 'preAct': the watched layer's pre-activation
// percentiles each step; 'gradTotal': the global gradient norm ‖g‖ before clipping each step.
export const CHARTS = Object.freeze(['loss', 'accuracy', 'gradTotal', 'gradNorm', 'weightNorm', 'sparsity', 'histogram', 'results', 'summary',
  'gradFlow', 'updateRatio', 'actStats', 'actHist', 'preAct']);

/**
 * @typedef {object} Experiment
 * @property {string} id
 * @property {string} title
 * @property {string} text     what to look at, and why it happens; plain text
 * @property {string} formula  the convention or formula involved, as the code computes it
 * @property {string} link     the runs, in config.mjs's link format
 * @property {readonly string[]} charts  the charts (from CHARTS) on which its claims can be seen
 * @property {{question: string, choices: string[], criterion: string}} [predict] asked before the
 *   runs start (predict.mjs): choices name the runs in link order; the answer is computed from
 *   their results by the criterion
 */

/** @type {readonly Experiment[]} */
export const EXPERIMENTS = Object.freeze([
  {
    id: 'overfitting',
    title: 'Overfitting on 1,000 samples: none, L2, dropout, both',
    text: 'Only 1,000 training digits, SGD with momentum (η = 0.01), 40 epochs. Without a ' +
      'regulariser the training loss falls to almost 0, while the validation loss reaches its ' +
      'lowest point after about 10 to 16 epochs and then climbs back (it ends at about 0.28 to ' +
      '0.51, depending on the seed): the network grows ever more confident, also on the ' +
      'validation digits it gets wrong. L2 (λ = 0.003), dropout (0.5 after fc1 and fc2) and both ' +
      'together each end with a clearly lower validation loss: about 0.20 to 0.30 for L2 and for ' +
      'both; dropout alone usually ends a little higher, as its curve turns up late. Test ' +
      'accuracy, however, barely moves: on 5,000 test digits every regularised run ends within ' +
      'about one point of the unregularised one, sometimes above and sometimes below. On this ' +
      'little data the regularisers mainly cure overconfidence (the loss), not which digits come ' +
      'out right. All four runs start from the same weights and see the same batches.',
    formula: 'L2 penalty = λ·Σw² over the kernels (no ½, so it adds 2λw to each gradient; with ' +
      'SGD that is weight decay: w shrinks by 2ηλ·w each step). Inverted dropout keeps each unit ' +
      'with probability 1−p and scales it by 1/(1−p) while training; at test time it does nothing.',
    link: 'opt=momentum&lr=0.01&n=1000&val=2000&test=5000&ep=40~reg=l2&lam=0.003~drop1=0.5&drop2=0.5~reg=l2&lam=0.003&drop1=0.5&drop2=0.5',
    charts: ['loss', 'accuracy', 'results'],
    predict: {
      question: 'Which run will end with the lowest validation loss?',
      choices: ['No regulariser', 'L2 (λ = 0.003)', 'Dropout 0.5', 'L2 and dropout'],
      criterion: 'lowest-val-loss',
    },
  },
  {
    id: 'l1-sparsity',
    title: 'L1 drives weights to zero',
    text: 'The sparsity chart counts kernel weights with |w| < 0.001. Without a regulariser it stays ' +
      'below 1 %; after 8 epochs L1 has pushed about a quarter to a third of the weights into ' +
      'that band with λ = 0.0001 and about half with λ = 0.0005, most of them in the dense ' +
      'layers. Look at the fc1 histogram: a spike at zero. The price shows in the results: with ' +
      'λ = 0.0001 the test accuracy stays within about a point of the run without L1 (sometimes ' +
      'above it); λ = 0.0005 costs up to about 2 points on some seeds and nothing on others. ' +
      '(With Adam the pull λ·sign(w) is rescaled like every gradient, so weights near zero hover ' +
      'within about η of it rather than sitting at exactly 0.)',
    formula: 'L1 penalty = λ·Σ|w| over the kernels; its gradient is λ·sign(w), with sign(0) = 0: a ' +
      'constant pull towards zero whatever the size of the weight.',
    link: 'n=5000&val=1000&test=2000&ep=8~reg=l1&lam=0.0001~reg=l1&lam=0.0005',
    charts: ['sparsity', 'histogram', 'results'],
  },
  {
    id: 'vanishing',
    title: 'Vanishing gradients: sigmoid with a small initialiser',
    text: 'With sigmoid activations and weights drawn from N(0, 0.05²), the gradient reaching conv1 ' +
      'in the first steps is more than a hundred times smaller than the gradient of fc3: each ' +
      'sigmoid multiplies the backward signal by at most 0.25, and small weights shrink it ' +
      'further. Glorot initialisation narrows the gap; ReLU with He initialisation keeps conv1 ' +
      'within a factor of ten of fc3. See the gradient-norm chart (log scale). The early layers ' +
      'hardly learn, so the sigmoid runs are slow: after 3 epochs the test accuracy is about 67 ' +
      'to 74 % with N(0, 0.05²) and 78 to 81 % with Glorot, against 92 to 95 % for ReLU with He.',
    formula: 'sigmoid′(x) = σ(x)(1 − σ(x)) ≤ 0.25. Backpropagation multiplies by one such factor ' +
      'and one weight matrix per layer. random_normal: N(0, 0.05²); glorot_uniform: ' +
      'U(−l, l), l = √(6/(fan_in + fan_out)); he_uniform: l = √(6/fan_in).',
    link: 'act=sigmoid&init=random_normal&n=5000&val=1000&test=2000&ep=3~init=glorot_uniform~act=relu&init=he_uniform',
    charts: ['gradNorm', 'accuracy', 'results'],
  },
  {
    id: 'exploding',
    title: 'Exploding weights and divergence',
    text: 'With momentum and a learning rate of 10 every step overshoots. Within about ten steps ' +
      'the weight norms of fc1 and fc2 grow from about 10 to thousands (weight-norm chart), the ' +
      'tanh units saturate, so the gradient reaching conv1 drops to exactly 0 and falls off the ' +
      'log-scale gradient-norm chart, and the batch loss climbs from 2.3 into the hundreds (the ' +
      'loss chart shows a steep climb; its smoothed curve stays below the raw batch values). ' +
      'When a batch loss exceeds 1,000 the run stops with the status "diverged" and keeps the ' +
      'weights from before that step. The same model with a learning rate of 0.01 trains ' +
      'normally: about 90 to 93 % test accuracy after 3 epochs.',
    formula: 'momentum: m = μm − ηg, w += m (μ = 0.9); tanh′(x) = 1 − tanh²(x) → 0 for large |x|. ' +
      'A run stops when a loss, gradient or weight is NaN or infinite, or a batch loss exceeds 1000; ' +
      'that step is not applied.',
    link: 'act=tanh&opt=momentum&lr=10&n=2000&val=0&test=500&ep=3~lr=0.01',
    charts: ['loss', 'weightNorm', 'gradNorm', 'results'],
    predict: {
      question: 'Which run will diverge?',
      choices: ['η = 10', 'η = 0.01'],
      criterion: 'diverges',
    },
  },
  {
    id: 'initialisers',
    title: 'Initialisers compared with ReLU: zeros, random, Glorot, He',
    text: 'With every weight zero, every ReLU outputs 0, so no gradient reaches any kernel (the ' +
      'gradient-norm chart has no line for conv1 to fc2: 0 has no place on a log scale). Only ' +
      'the output biases learn: the validation loss stays at ln 10 ≈ 2.30 and the test accuracy ' +
      'at chance (10 to 12 %). Small random weights, U(−0.05, 0.05), do learn, but more slowly: ' +
      'after 3 epochs the validation loss is about 0.30 to 0.37 and the test accuracy 87 to 90 %, ' +
      'against about 0.13 to 0.25 and 92 to 95 % for Glorot and He, whose scale follows the layer ' +
      'sizes. Glorot and He end close to each other; neither wins on every seed.',
    formula: 'zeros: w = 0; random_uniform: U(−0.05, 0.05); glorot_uniform: l = √(6/(fan_in + ' +
      'fan_out)); he_uniform: l = √(6/fan_in); fan of a conv = channels × 5 × 5.',
    link: 'init=zeros&n=5000&val=1000&test=2000&ep=3~init=random_uniform~init=glorot_uniform~init=he_uniform',
    charts: ['loss', 'gradNorm', 'accuracy'],
    predict: {
      question: 'Which initialiser will reach the highest test accuracy after 3 epochs?',
      choices: ['zeros', 'random_uniform', 'glorot_uniform', 'he_uniform'],
      criterion: 'highest-test-acc',
    },
  },
  {
    id: 'early-stopping',
    title: 'Early stopping: the lowest validation loss, not the best accuracy',
    text: 'Adam on only 300 training digits for up to 60 epochs. Without early stopping the ' +
      'validation loss reaches its lowest point after 10 to 20 epochs and then rises by 0.1 to ' +
      '0.4 while the training loss goes to almost 0. With early stopping (patience 5) the run ' +
      'stops 5 epochs after its best one, between epoch 15 and 25, and restores the best weights: ' +
      'its validation loss is the lowest the run saw, well below the 60-epoch run\'s final one, ' +
      'after a third of the training time. Mixed outcome: the test accuracy of the restored ' +
      'weights is not better. It ends 0 to 4 points lower than after 60 epochs, because the ' +
      'accuracy kept creeping up while the loss rose: the rise comes from ever more confident ' +
      'mistakes on the digits the network gets wrong. Early stopping on validation loss picks the ' +
      'best-calibrated weights, not the most accurate ones.',
    formula: 'An epoch improves when val_loss < best − min_delta; after `patience` epochs without ' +
      'improvement, training stops and the weights of the best epoch come back (Keras\'s ' +
      'EarlyStopping on val_loss with restore_best_weights).',
    link: 'n=300&val=2000&test=2000&ep=60&es=1&pat=5~es=0',
    charts: ['loss', 'accuracy', 'results'],
  },
  {
    id: 'standardisation',
    title: 'Standardising the inputs',
    text: 'MNIST pixels scaled to [0, 1] have a mean near 0.13 and are never negative. With plain ' +
      'SGD (η = 0.005), standardising them to mean 0 and standard deviation 1 makes the same ' +
      'steps more effective: after 3 epochs the standardised run is ahead on every seed we tried, ' +
      'though by very different amounts: validation loss about 0.5 to 0.95 against 0.9 to 2.1 on ' +
      'raw pixels, test accuracy about 64 to 85 % against 42 to 73 %. On raw pixels the loss ' +
      'curve often stays flat near its starting value for a long stretch, and how long varies ' +
      'with the seed; standardised, it leaves that plateau sooner. Plain SGD is slow and noisy ' +
      'either way: compare Adam on the same data.',
    formula: 'x′ = (x − μ)/σ, with μ and σ the pixel mean and standard deviation of the training ' +
      'subset, applied to training, validation and test images alike.',
    link: 'opt=sgd&lr=0.005&n=5000&val=1000&test=2000&ep=3~std=1',
    charts: ['loss', 'accuracy', 'results'],
    predict: {
      question: 'Which run will end with the lower validation loss?',
      choices: ['Pixels in [0, 1]', 'Standardised pixels'],
      criterion: 'lowest-val-loss',
    },
  },
  {
    id: 'fine-tuning',
    title: 'Fine-tuning against training from scratch on little data',
    text: 'The shipped checkpoint was trained on the digits 0 to 4 only. Freezing its convolutions, ' +
      'drawing a new fc3 and training on just 500 samples of the digits 5 to 9 for 10 epochs ' +
      'reaches about 93 to 94 % test accuracy on 5 to 9, against about 89 to 91 % for the same ' +
      'network trained from scratch on the same 500 samples (a lead of 2.5 to 5 points), and a ' +
      'lower validation loss (about 0.11 to 0.21 against 0.20 to 0.31): the features learnt on ' +
      'other digits transfer. The gradient-norm chart shows no line for the frozen conv1 and conv2.',
    formula: 'Frozen layers receive no update. The new head is drawn with the chosen initialiser ' +
      '(glorot_uniform) and biases of zero.',
    link: 'from=pretrained&head=1&freeze=conv1,conv2&digits=56789&n=500&val=500&test=2000&ep=10~from=scratch&head=0&freeze=',
    charts: ['accuracy', 'loss', 'results'],
  },
  {
    id: 'adamw',
    title: 'L2 with Adam is not weight decay: Adam, Adam + L2, AdamW',
    text: 'Adam (η = 0.001) on 1,000 digits for 30 epochs, three ways: alone; with an L2 penalty ' +
      '(λ = 0.001) in the loss; and AdamW, which shrinks every kernel weight by η·wd·w each step ' +
      '(wd = 0.3; the default 0.004 would shrink them by only about 0.4 % over these 960 steps) ' +
      'outside Adam\'s normalisation (Loshchilov & Hutter). Adam divides the penalty\'s ' +
      'gradient 2λw by √v like every gradient. A weight whose loss gradient is small therefore ' +
      'takes steps of about η towards zero whatever its size, as under L1: the sparsity chart ' +
      'climbs to about 19 to 30 % of weights with |w| < 0.001 (a spike at 0 in the fc1 ' +
      'histogram), while Adam alone and AdamW stay below 3 %. Weights with large gradients, on ' +
      'the other hand, hardly feel the penalty: on the weight-norm chart conv1 ends level ' +
      'with Adam alone or up to 5 % above it with L2, while AdamW shrinks it by about 5 to 10 %. (In ' +
      'the dense layers both shrink the weights, L2 even more than AdamW at these settings.) ' +
      'Validation loss: both ways of shrinking end below Adam alone (AdamW by 0.03 to 0.1; ' +
      'Adam + L2 by 0.01 to 0.07), and which of the two ends lower varies with the seed. ' +
      'Test accuracy does not separate them: all three end within about one point of each other. ' +
      'The paper measured its gains in test error on CIFAR-10 and ImageNet with long schedules; ' +
      'a run this short does not show them.',
    formula: 'adam + L2: g = ∇loss + 2λw, then m, v and w −= η·m̂/(√v̂ + ε): the decay term is ' +
      'rescaled per weight. adamw: w −= η·wd·w on the kernels, then the adam step with ∇loss ' +
      'alone: every kernel weight shrinks by the same factor 1 − η·wd per step.',
    link: 'n=1000&val=2000&test=2000&ep=30~reg=l2&lam=0.001~opt=adamw&wd=0.3',
    charts: ['sparsity', 'histogram', 'weightNorm', 'loss', 'results'],
  },
  {
    id: 'lambda-sweep',
    title: 'Sweeping λ: too little, just right, too much',
    text: 'Five runs on 1,000 samples for 30 epochs with L2 at λ = 10⁻⁵, 10⁻⁴, 10⁻³, 10⁻² and 10⁻¹, ' +
      'the same weights and batches in each. The summary chart plots the final validation loss ' +
      'against λ on a log axis: it is lowest inside the range, at 10⁻³ or 10⁻² depending on the ' +
      'seed, and higher at both ends. At 10⁻⁵ the penalty is too weak to stop overfitting (training ' +
      'loss near 0, validation loss rising late in training); at 10⁻¹ it dominates the loss: the ' +
      'weights shrink towards zero, the loss stays at ln 10 ≈ 2.30 and accuracy at chance. Test ' +
      'accuracy moves much less than the validation loss between 10⁻⁵ and 10⁻³ (within about a ' +
      'point, in either direction depending on the seed): the loss also measures how confident the ' +
      'wrong answers are.',
    formula: 'L2 penalty = λ·Σw² over the kernels, added to the mean cross-entropy while training; the ' +
      'losses plotted are the cross-entropy alone, the penalty is reported apart.',
    link: 'n=1000&val=2000&test=2000&ep=30&reg=l2!sw=lam%3Dlog%3A1e-5..1e-1%3A5',
    charts: ['summary', 'loss'],
  },
  {
    id: 'dropout-sweep',
    title: 'Sweeping the dropout rate',
    text: 'Five runs on 1,000 samples for 20 epochs with dropout after fc1 at rates 0, 0.2, 0.4, 0.6 ' +
      'and 0.8. As the rate rises the final training loss rises (clearly from 0.6 on: with units ' +
      'dropped at random the training set is harder to fit), and the gap between validation and ' +
      'training loss shrinks to under 60 % of what it is without dropout at 0.8. The validation ' +
      'loss is lower with a moderate rate (0.2 to 0.6) than without dropout; at 0.8 it climbs again.',
    formula: 'Inverted dropout: in training each unit is kept with probability 1−p and scaled by ' +
      '1/(1−p), so its expected value is unchanged; at test time nothing is dropped.',
    link: 'n=1000&val=2000&test=2000&ep=20!sw=drop1%3Dlin%3A0..0.8%3A5',
    charts: ['summary', 'loss'],
  },
  {
    id: 'learning-curve',
    title: 'A learning curve: accuracy against training-set size, with and without dropout',
    text: 'Test accuracy after 10 epochs on 300, 1,000, 3,000 and 10,000 training samples, without ' +
      'dropout and with dropout 0.5 after fc1, as Srivastava et al. (2014, Figure 10) plot it. ' +
      'Accuracy climbs steeply with more data, with or without dropout. On 300 samples the two ' +
      'differ by a few points, but which one is ahead changes with the seed (dropout was 4.5 points ' +
      'behind with seed 1 and 2 points ahead with seed 2): with so little data one pair of runs says ' +
      'little. From 1,000 samples on they are within about a point of each other; at 10,000 dropout ' +
      'was ahead for both seeds we checked (by 0.4 and 1.0 points), in line with the paper, where ' +
      'dropout helps once the training set is not tiny. Repeat with seeds before trusting a gap this small.',
    formula: 'Test accuracy = share of the 2,000 test digits classified correctly. Each run trains 10 ' +
      'epochs, so a larger training set also means more steps.',
    link: 'n=1000&val=1000&test=2000&ep=10!sw=n%3D300%2C1000%2C3000%2C10000&sw=drop1%3D0%2C0.5',
    charts: ['summary', 'accuracy'],
  },
  {
    id: 'is-it-noise',
    title: 'Is it noise? Two initialisers over 5 seeds',
    text: 'glorot_uniform against he_uniform, 2,000 samples, 5 epochs, each with the seeds 1 to 5: ' +
      'the loss and accuracy charts draw each group as its mean with a band from the lowest to the ' +
      'highest seed. He\'s final training loss is lower on average. Their test accuracies differ by ' +
      'under a point on average, while the seeds of each spread over about two points: the ranges ' +
      'overlap, so these runs do not show that either initialiser gives the better test accuracy. ' +
      'With a single seed each, a comparison could have gone either way.',
    formula: 'glorot_uniform: U(−l, l), l = √(6/(fan_in + fan_out)); he_uniform: l = √(6/fan_in). Two ' +
      'groups differ by more than the spread between seeds when their ranges (lowest to highest ' +
      'seed) do not overlap.',
    link: 'n=2000&val=1000&test=2000&ep=5!sw=init%3Dglorot_uniform%2Che_uniform&seeds=5',
    charts: ['loss', 'accuracy'],
  },
  {
    id: 'transfer-mnist-fashion',
    title: 'Transfer from digits to clothing: MNIST → Fashion-MNIST on 200 samples',
    text: 'Three runs learn Fashion-MNIST from only 200 training images for 20 epochs: from scratch; ' +
      'from the checkpoint trained on all of MNIST with conv1 and conv2 frozen and a new fc3 ' +
      '(frozen features); and from the same checkpoint with a new fc3 and every layer trained ' +
      '(full fine-tuning). The frozen digit features beat training from scratch on every seed we ' +
      'tried, by 1.4 to 3.1 points of test accuracy (about 67 % against 69 %); full fine-tuning ' +
      'helps by about 2 points on average but not on every seed. Strokes and edges learnt on ' +
      'digits are useful for clothing too, though the gain is small and shrinks as the target ' +
      'data grows (with 1,000 samples it is about 1.4 points).',
    formula: 'Frozen layers receive no update (their gradient norm stays 0). The new head is drawn ' +
      'with the initialiser (glorot_uniform) and biases of zero; every run sees the same 200 ' +
      'images in the same order.',
    link: 'data=fashion&n=200&val=500&test=2000&ep=20~from=mnist&head=1&freeze=conv1,conv2~from=mnist&head=1',
    charts: ['accuracy', 'loss', 'gradNorm', 'results'],
  },
  {
    id: 'transfer-fashion-mnist',
    title: 'Transfer from clothing to digits: Fashion-MNIST → MNIST on 200 samples',
    text: 'The same three runs the other way round: MNIST from 200 training digits, from scratch, ' +
      'from the Fashion-MNIST checkpoint with frozen convolutions and a new head, and from it ' +
      'fully fine-tuned. Here transfer does not help: training from scratch reaches the highest ' +
      'test accuracy on every seed we tried (about 81 %), 1 to 6 points above the frozen features ' +
      'and 0.4 to 4 points above full fine-tuning. Features ' +
      'learnt on clothing (large filled shapes and textures) fit thin pen strokes worse than ' +
      'features learnt from these 200 digits themselves. Transfer is not symmetric.',
    formula: 'Frozen layers receive no update. The new head is drawn with the initialiser ' +
      '(glorot_uniform) and biases of zero.',
    link: 'data=mnist&n=200&val=500&test=2000&ep=20~from=fashion&head=1&freeze=conv1,conv2~from=fashion&head=1',
    charts: ['accuracy', 'loss', 'results'],
  },
  {
    id: 'random-labels',
    title: 'Memorising random labels (Zhang et al. 2017)',
    text: 'With label noise 1 every one of the 1,000 training labels is replaced by a random class. ' +
      'There is nothing to learn, yet the training accuracy keeps climbing, to over 95 % after 40 ' +
      'epochs: the network memorises each image\'s arbitrary label. The test accuracy stays at ' +
      'chance: over the last ten epochs between 7.6 and 14 % on six seeds (10 % is guessing), ' +
      'after wandering up to 23 % in the first epochs, when the random labels happen to favour ' +
      'the true class of some kind of image. With the true labels (second run) the training accuracy reaches ' +
      '90 % within a few epochs, not a few dozen: real structure is learnt far faster than noise. ' +
      'Regularisation slows the memorising: with L2 (λ = 0.001) the training accuracy ends a few ' +
      'points lower (93-97 % against 96-100 %), and with dropout (0.5 after fc1 and fc2) much lower ' +
      '(68-76 %), but neither brings test accuracy above chance: regularisation does not explain ' +
      'why networks generalise on real labels.',
    formula: 'noise = 1: round(noise·n) training labels replaced, each by a class drawn uniformly ' +
      '(so about 1 in 10 keeps its true class by chance). Validation and test labels are never ' +
      'changed; the training accuracy is measured against the labels trained with.',
    link: 'noise=1&n=1000&val=0&test=2000&ep=40~noise=0~reg=l2&lam=0.001~drop1=0.5&drop2=0.5',
    charts: ['accuracy', 'loss', 'weightNorm'],
  },
  {
    id: 'overfitting-fashion',
    title: 'Overfitting on Fashion-MNIST: 1,000 samples, none, L2, dropout',
    text: 'The overfitting lesson again, on clothing, where the overfitting is stronger. Trained for ' +
      '60 epochs on 1,000 Fashion-MNIST images without a regulariser, the validation loss reaches ' +
      'its lowest point (0.52-0.62) and then climbs far above it (to 0.79-0.96) ' +
      'while the training loss keeps falling: the network grows confidently wrong on the images ' +
      'it gets wrong. L2 (λ = 0.003) and dropout (0.5 after fc1 and fc2) each end with a much ' +
      'lower validation loss (0.56-0.68) on every seed we tried. Test accuracy moves far less ' +
      'than the loss: dropout gains about a point on average (80.6 % against 79.8 % over six ' +
      'seeds, not on every seed), and L2 at this strength none (79.3 %). A lower loss is not the ' +
      'same as more correct answers.',
    formula: 'L2 penalty = λ·Σw² over the kernels (gradient 2λw). Inverted dropout keeps each unit ' +
      'with probability 1−p and scales it by 1/(1−p) while training; at test time it does nothing. ' +
      'Cross-entropy = −log p(true class): one confident mistake costs more than many near misses.',
    link: 'data=fashion&n=1000&val=2000&test=2000&ep=60~reg=l2&lam=0.003~drop1=0.5&drop2=0.5',
    charts: ['loss', 'accuracy', 'results'],
  },
  {
    id: 'batch-norm',
    title: 'Batch norm in a deep sigmoid network (Ioffe & Szegedy 2015)',
    text: 'The network of the batch-norm paper (sec. 4.1): 784-100-100-100-10 with sigmoid units, ' +
      'batches of 60, plain SGD (η = 0.3), 10,000 digits for 4 epochs; the second run adds batch ' +
      'norm before every sigmoid. Without it the first epoch is nearly lost: the test accuracy ' +
      'after it (the accuracy chart\'s Table) is about 9 to 19 %, and after 4 epochs only about 72 to 77 %. With batch norm the ' +
      'training accuracy of the first epoch\'s steps (the thin per-step line of the accuracy chart) averages about 82 %, and the run ends at ' +
      'about 86 to 89 % (validation loss about 0.27 to 0.39, against 0.65 to 0.76 without). The pre-activation chart shows why: it plots the 15th, 50th and ' +
      '85th percentiles of the inputs to the last hidden layer\'s sigmoids at every step. Without ' +
      'batch norm they wander while the layers below change: after the first 50 steps the median ' +
      'still moves over a range of about 0.3 to 0.4 and the 85th percentile over about 1.0 to 1.2. With ' +
      'batch norm the median stays within about 0.1 of 0 at every step and the 15th and 85th ' +
      'percentiles each move outwards slowly and steadily, by about 0.3 over the run (the learnt scale γ ' +
      'growing): the sigmoids see nearly the same distribution at every step. Note that test ' +
      'accuracy, validation and training loss with batch norm use the moving averages of the ' +
      'batch statistics, which trail the network by a few hundred steps: after the first epoch ' +
      'the test accuracy is about 55 to 84 % against the ' +
      'training steps\' 82 %; they catch up in the second epoch.',
    formula: 'BN(x) = γ·(x − μ_B)/√(σ²_B + ε) + β per unit, with μ_B and σ²_B the batch mean and ' +
      'variance while training (ε = 0.001). At inference μ and σ² are moving averages: ' +
      'μ̂ = 0.99·μ̂ + 0.01·μ_B after every step, so they forget with a time constant of about 100 ' +
      'steps. sigmoid′(x) ≤ 0.25, largest at x = 0.',
    link: 'model=mlp&act=sigmoid&bs=60&opt=sgd&lr=0.3&n=10000&val=1000&test=2000&ep=4~bn=1',
    charts: ['preAct', 'accuracy', 'loss', 'results'],
    predict: {
      question: 'Which run will reach the higher test accuracy after 4 epochs?',
      choices: ['Without batch norm', 'With batch norm'],
      criterion: 'highest-test-acc',
    },
  },
  {
    id: 'glorot-init',
    title: 'Naive against Glorot initialisation in a deep tanh network (Glorot & Bengio 2010)',
    text: 'Eight hidden tanh layers of 100 units, plain SGD (η = 0.05), 5,000 digits for 3 epochs. ' +
      'With weights drawn from N(0, 0.05²) each layer multiplies the spread of its input by about ' +
      '0.05·√100 = 0.5: on the Activations across depth chart the standard deviation of the activations (the band\'s half-width) halves ' +
      'from layer to layer, from about 0.4 in fc1 to about 0.01 in fc6 to fc8. Saturation is not the problem ' +
      'here: in neither run are more than 0.1 % of the tanh outputs beyond ±0.99. With the naive ' +
      'weights the activations shrink towards 0 instead. The backward ' +
      'signal shrinks the same way: on the gradient-flow chart, and in every epoch on the per-layer gradient norm chart, the gradient of fc1 is only about 3 to 9 % ' +
      'of that of the output layer fc9, and in 3 epochs the network learns nothing: ' +
      'the test accuracy stays at about 12 % (it answers nearly always the same class). Glorot\'s uniform initialiser scales the weights to ' +
      'the layer sizes, so the activations keep a spread of about 0.4 to 0.5 through all eight ' +
      'layers and the gradients stay level: fc2 to fc9 within a factor of about two of each other, ' +
      'and fc1, which has 784 inputs, about 4 to 5 times the gradient of fc9 rather than a fraction ' +
      'of it. It reaches about 74 to 87 % test accuracy (plain SGD is noisy: the number varies ' +
      'with the seed).',
    formula: 'random_normal: w ~ N(0, 0.05²); glorot_uniform: U(−l, l), l = √(6/(fan_in + fan_out)), ' +
      'so Var(w) = 2/(fan_in + fan_out) and n·Var(w) ≈ 1 forwards and backwards. For tanh near 0, ' +
      'Var(h_k) ≈ n·Var(w)·Var(h_(k−1)): with n = 100 and Var(w) = 0.0025 that is a factor 0.25 ' +
      'in variance (0.5 in spread) per layer.',
    link: 'model=mlp&depth=8&act=tanh&opt=sgd&lr=0.05&init=random_normal&n=5000&val=1000&test=2000&ep=3~init=glorot_uniform',
    charts: ['gradFlow', 'actStats', 'gradNorm', 'accuracy'],
    predict: {
      question: 'Which run will reach the higher test accuracy after 3 epochs?',
      choices: ['N(0, 0.05²)', 'Glorot uniform'],
      criterion: 'highest-test-acc',
    },
  },
  {
    id: 'clipping',
    title: 'An exploding run tamed by gradient clipping',
    text: 'Eight hidden ReLU layers with He initialisation, plain SGD with a learning rate of 1. ' +
      'The first steps overshoot, and each overshoot makes the next gradient larger: ' +
      'the total gradient norm ‖g‖ (reported before clipping, on the total gradient norm chart) grows tenfold or more and the batch ' +
      'loss passes 1,000 within 4 to 6 steps, when the run stops as "diverged". The same run with ' +
      'the gradient clipped to a global norm of 1 trains: it ends at about 78 to 87 % test ' +
      'accuracy. Clipping does not make the gradients small: ‖g‖ before clipping is above 1 (its dashed line) at ' +
      '93 to 96 % of the steps (the chart\'s Table gives the share per epoch), so nearly every step has length η·1 = 1, and the batch loss still ' +
      'jumps now and then (to between 3 and 9 at its highest: the loss chart on a log scale, without smoothing). Its validation loss varies widely ' +
      'with the seed (about 0.45 to 1.5). Clipping caps the length of a step; it does not make ' +
      'the learning rate a good one.',
    formula: '‖g‖ = √(Σ g²) over every trained parameter; if ‖g‖ > clip, every gradient is ' +
      'multiplied by clip/‖g‖ (Keras global_clipnorm), so with SGD no step is longer than η·clip. ' +
      'A run stops when a loss, gradient or weight is NaN or infinite, or a batch loss exceeds 1000.',
    link: 'model=mlp&depth=8&act=relu&init=he_uniform&opt=sgd&lr=1&n=5000&val=1000&test=2000&ep=3~clip=1',
    charts: ['loss', 'gradTotal', 'accuracy', 'results'],
    predict: {
      question: 'Which run will diverge?',
      choices: ['No clipping', 'Clipped at 1'],
      criterion: 'diverges',
    },
  },
  {
    id: 'residual',
    title: 'Deeper is not better, unless it is residual (He et al. 2016)',
    text: 'Three cnns of the same width (8 channels, 16 after the second pooling), without batch ' +
      'norm, Adam, 2,000 digits for 3 epochs: 8 plain convs, 20 plain convs, and the same 20 ' +
      'with identity shortcuts around pairs of convs. Compare the training loss (loss chart and ' +
      'results): the 20-conv plain net ends clearly higher than the 8-conv one (about 1.7 to 2.3 ' +
      'against 0.9 to 1.5). More layers made it worse on the very data it trains on, so this is ' +
      'not overfitting: the deeper plain stack is harder to optimise. On four of the six seeds we ' +
      'tried it never left ln 10 ≈ 2.30 in the 3 epochs; on the other two it started learning ' +
      'late. Its test accuracy is the lowest of the three (about 11 to 26 %, against 44 to 72 % ' +
      'for the others). The residual twin, with exactly as many convs, does not pay for its ' +
      'depth: its training loss ends close to the 8-conv net\'s, mostly level or lower (about 0.7 ' +
      'to 1.4: lower on six of the seven seeds we tried, by as little as 0.02 on some, and 0.15 ' +
      'higher on seed 1, the link\'s own). The gradient-norm chart ' +
      'shows part of the reason: in the first 20 steps the gradient reaching conv1, relative to ' +
      'that of the dense layer, is about 8 to several thousand times smaller in the 20-conv plain ' +
      'net than in the 8-conv one, while in the residual twin it is about as large as in the 8-conv ' +
      'net or larger: the ' +
      'shortcuts carry it down. Mixed, and with caveats: ' +
      'these runs are short, so the 8-conv and residual nets are far from trained and their test ' +
      'accuracies vary a lot with the seed; which of the two tests better changes from seed to ' +
      'seed. He et al. used batch norm and far longer training; with batch norm (bn=1) a run ' +
      'this short is hard to read, as its validation and test numbers use moving averages that ' +
      'have not caught up after 189 steps.',
    formula: 'plain block: y = relu(conv(relu(conv(x)))); residual block: y = relu(x + conv(relu(conv(x)))), ' +
      'so ∂y/∂x contains the identity: the gradient reaches the lower layers whatever the convs do. ' +
      'Shortcuts join pairs of equal-width convs; a conv that changes the width, and an odd one out, stays plain. ' +
      'The cnn: 1 conv at 28×28, ⌊(convs − 1)/2⌋ at 14×14, the rest at 7×7 with twice the channels, ' +
      'global average pooling, one dense layer.',
    link: 'model=cnn&convs=8&n=2000&val=500&test=1000&ep=3~convs=20~convs=20&skip=1',
    charts: ['loss', 'gradNorm', 'accuracy', 'results'],
    predict: {
      question: 'Which run will end with the lowest training loss?',
      choices: ['8 convs, plain', '20 convs, plain', '20 convs, residual'],
      criterion: 'lowest-train-loss',
    },
  },
]);
