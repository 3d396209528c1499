from telltale.record.background import BackgroundRecorder
from tests.record.test_recorder_states import RecorderMachine
def _lossy(self, batch, reason):  # silently loses what it should spill
    pass
BackgroundRecorder._spill_batch = _lossy
TestMutant = RecorderMachine.TestCase
