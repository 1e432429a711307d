OK_FORMAT = True

test = {   'name': 'q10',
    'points': 2,
    'suites': [   {   'cases': [   {   'code': '>>> _ = torch.manual_seed(0)\n'
                                               '>>> hidden, S, E = (torch.randn(2, 7, 5), torch.randn(5), torch.randn(5))\n'
                                               '>>> p_start, p_end = qa_span_probs(hidden, S, E)\n'
                                               '>>> assert p_start.shape == p_end.shape == (2, 7)\n'
                                               '>>> assert torch.allclose(p_start.sum(1), torch.ones(2)) and torch.allclose(p_end[1], torch.softmax(hidden[1] @ E, dim=0))\n',
                                       'hidden': False,
                                       'locked': False},
                                   {   'code': '>>> p_start = torch.tensor([[0.1, 0.6, 0.1, 0.2]])\n'
                                               '>>> p_end = torch.tensor([[0.5, 0.1, 0.3, 0.1]])\n'
                                               '>>> assert qa_best_span(p_start, p_end, 4).tolist() == [[1, 2]]\n'
                                               '>>> assert qa_best_span(p_start, p_end, 1).tolist() == [[1, 1]]\n'
                                               '>>> allowed = torch.tensor([[True, False, True, True]])\n'
                                               '>>> assert qa_best_span(p_start, p_end, 4, allowed).tolist() == [[0, 0]]\n',
                                       'hidden': False,
                                       'locked': False}],
                      'scored': True,
                      'setup': '',
                      'teardown': '',
                      'type': 'doctest'}]}
